from django.apps import AppConfig


class ApplyConfig(AppConfig):
    name = "profiledesk.apply"
    label = "apply"
    verbose_name = "Applying changes to the profile"
