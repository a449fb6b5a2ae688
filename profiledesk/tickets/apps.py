from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "profiledesk.tickets"
    label = "tickets"
    verbose_name = "Change requests"

    def ready(self) -> None:
        # Imported in ready(): Django loads apps.py before the models it would import.
        # Writing a timeline event or a change item bumps the ticket's version, which the
        # open pages poll (live.py).
        from .live import tickets_rows_register

        tickets_rows_register()
