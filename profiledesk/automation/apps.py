from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "profiledesk.automation"
    verbose_name = _("Straight-through processing")

    def ready(self) -> None:
        # Imported in ready(): Django loads apps.py before the models they import.
        # verification sits below: it announces a pass recorded without an agent, and
        # straight-through processing tries the ticket (the single entry, receivers.py).
        from verification.signals import evidence_recorded

        from .receivers import straight_through_on_evidence

        evidence_recorded.connect(
            straight_through_on_evidence, dispatch_uid="automation.straight_through"
        )
