from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "profiledesk.tickets"
    label = "tickets"
    verbose_name = "Change requests"
