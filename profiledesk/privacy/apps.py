from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "profiledesk.privacy"
    label = "privacy"
    verbose_name = "Sensitivity and masking"
