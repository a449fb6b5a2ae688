from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "profiledesk.demo"
    label = "demo"
    verbose_name = "Demo data"
