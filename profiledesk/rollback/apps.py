from django.apps import AppConfig


class RollbackConfig(AppConfig):
    name = "profiledesk.rollback"
    label = "rollback"
    verbose_name = "Rolling back a change"
