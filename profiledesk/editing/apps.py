from django.apps import AppConfig


class EditingConfig(AppConfig):
    name = "profiledesk.editing"
    label = "editing"
    verbose_name = "Editing a captured change"

    def ready(self) -> None:
        # Imported in ready(): Django loads apps.py before the models they import. The
        # ticket page asks this panel whether to offer "Edit the change" (no query).
        from profiledesk.tickets.panels import ticket_panel_register

        from .rules import edit_offer

        ticket_panel_register(edit_offer)
