from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "profiledesk.security"
    label = "security"
    verbose_name = "Security queue"
