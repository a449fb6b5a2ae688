from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "profiledesk.policies"
    label = "policies"
    verbose_name = "Policies, risk and SLA"

    def ready(self) -> None:
        from profiledesk.customers.signals import freeze_changed

        from .receivers import risk_refresh_after_freeze

        freeze_changed.connect(risk_refresh_after_freeze, dispatch_uid="policies.freeze_risk")
