from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "profiledesk.accounts"
    label = "accounts"
    verbose_name = "Staff accounts"

    def ready(self) -> None:
        # Imported in ready(): Django loads apps.py before the models it would import.
        from . import signals  # noqa: F401  (sign-in tracking and audit events)
        from .roles import sync_roles

        # Groups are kept in code (roles.py) and brought up to date after every migrate.
        post_migrate.connect(sync_roles, sender=self)
