from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "profiledesk.api"
    label = "api"
    verbose_name = _("REST API for client systems")

    def ready(self) -> None:
        # Imported in ready(): Django loads apps.py before the models it would import.
        # Registers the API key scheme with drf-spectacular (import has the side effect).
        from . import schema  # noqa: F401
