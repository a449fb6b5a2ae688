from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "verification"
    verbose_name = "Identity verification"

    def ready(self) -> None:
        # customers sits below verification: it asks its registered gate who may reveal.
        from profiledesk.customers.reveal import reveal_gate_register

        from .reveal import customer_reveal_access

        reveal_gate_register(customer_reveal_access)
