from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "profiledesk.portal"
    verbose_name = _("Customer portal")

    def ready(self) -> None:
        # Imported in ready(): Django loads apps.py before the models they import.
        # verification sits below the portal: the portal's wrong sign-in codes count
        # toward the customer's lock-out with the desk's (one count, shared).
        from verification.status import failure_counter_register

        from .services import failed_sign_ins

        failure_counter_register(failed_sign_ins)
