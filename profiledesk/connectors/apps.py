from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "profiledesk.connectors"
    label = "connectors"
    verbose_name = "Connectors"
