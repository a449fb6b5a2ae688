from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "profiledesk.tickets"
    label = "tickets"
    verbose_name = "Change requests"

    def ready(self) -> None:
        # The ticket page's own cards for an incomplete request (match, capture), through
        # the same registry the steps use.
        from .completion_selectors import completion_panel
        from .panels import ticket_panel_register

        ticket_panel_register(completion_panel)
