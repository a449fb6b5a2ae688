from django.apps import AppConfig


class ConfirmationsConfig(AppConfig):
    name = "profiledesk.confirmations"
    label = "confirmations"
    verbose_name = "Confirmations"

    def ready(self) -> None:
        # Closing a ticket subscribes to the transports' announcements (receivers.py).
        from . import receivers  # noqa: F401
