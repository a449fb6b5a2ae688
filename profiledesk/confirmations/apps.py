from django.apps import AppConfig


class ConfirmationsConfig(AppConfig):
    name = "profiledesk.confirmations"
    label = "confirmations"
    verbose_name = "Confirmations"

    def ready(self) -> None:
        # Imported in ready(): Django loads apps.py before the models it would import.
        # Closing a ticket subscribes to the transports' announcements (receivers.py).
        from . import receivers  # noqa: F401
