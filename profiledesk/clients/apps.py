from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "profiledesk.clients"
    label = "clients"
    verbose_name = "Clients and memberships"
