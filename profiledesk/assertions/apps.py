from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssertionsConfig(AppConfig):
    name = "profiledesk.assertions"
    label = "assertions"
    verbose_name = _("Client app assertions")

    def ready(self) -> None:
        # Registers the "assertion" verification method (import has the side effect).
        from . import method  # noqa: F401
