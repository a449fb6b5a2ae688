from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "verification"
    verbose_name = "Identity verification"

    def ready(self) -> None:
        # Imported in ready(): Django loads apps.py before the models it would import.
        # customers sits below verification: it asks its registered gate who may reveal.
        from profiledesk.customers.reveal import reveal_gate_register

        from .reveal import customer_reveal_access

        reveal_gate_register(customer_reveal_access)

        # tickets.states sits below verification: "Mark verified" is offered when the
        # wizard has reached the policy's level (services.verification_complete makes it).
        from profiledesk.tickets.models import State
        from profiledesk.tickets.panels import ticket_panel_register
        from profiledesk.tickets.states import step_rule_register

        from .selectors import panel_context
        from .status import verification_missing

        ticket_panel_register(panel_context)

        # The wizard's rows are on the ticket page: writing one bumps the ticket's version,
        # so the others with the ticket open see the step (tickets/live.py).
        from profiledesk.tickets.live import ticket_rows_register

        from .models import Attempt, DocumentCheck, OtpChallenge, Waiver

        ticket_rows_register(Attempt, OtpChallenge, DocumentCheck, Waiver)

        step_rule_register(target=State.READY, sources=[State.VERIFYING], rule=verification_missing)

        # The built-in verification methods join the registry (verification.methods).
        from .methods import document, otp, questions  # noqa: F401
