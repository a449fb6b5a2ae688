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
        # Imported in ready(): Django loads apps.py before the models it would import.
        # Writing a timeline event or a change item bumps the ticket's version, which the
        # open pages poll (live.py).
        from .live import tickets_rows_register

        tickets_rows_register()
        # Writes a queue list prints renew its stamps (the background refresh's 304s).
        from .queue_stamps import connect as queue_stamps_connect

        queue_stamps_connect()
