from django.apps import AppConfig


class IdvConfig(AppConfig):
    name = "profiledesk.idv"
    label = "idv"
    verbose_name = "Identity provider"

    def ready(self) -> None:
        # The method joins verification's registry; its decline becomes a risk rule.
        from profiledesk.policies.risk import risk_rule_register

        from . import method  # noqa: F401  (registers "provider")
        from .risk import provider_declined

        risk_rule_register(provider_declined)
