from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "profiledesk.observability"
    verbose_name = "Metrics"

    def ready(self) -> None:
        # The desk's events are counted where they already announce themselves (model
        # saves of verification attempts and ticket moves, connectors' failure signal).
        from . import receivers

        receivers.connect()
