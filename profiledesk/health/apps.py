from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "profiledesk.health"
    label = "health"
    verbose_name = "Health check"
