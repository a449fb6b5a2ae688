from django.apps import AppConfig


class ConfirmationsConfig(AppConfig):
    name = "profiledesk.confirmations"
    label = "confirmations"
    verbose_name = "Confirmations"
