from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "profiledesk.notifications"
    label = "notifications"
    verbose_name = "Staff notifications"

    def ready(self) -> None:
        # Imported in ready(): Django loads apps.py before the models the receiver writes.
        # tickets sits below this app: it announces each committed move with a signal.
        from profiledesk.tickets.signals import ticket_moved

        from .receivers import notify_on_move

        ticket_moved.connect(notify_on_move, dispatch_uid="notifications.notify_on_move")
