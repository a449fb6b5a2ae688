from django.apps import AppConfig


class ConfirmationsConfig(AppConfig):
    name = "profiledesk.confirmations"
    label = "confirmations"
    verbose_name = "Confirmations"

    def ready(self) -> None:
        # Imported in ready(): Django loads apps.py before the models it would import.
        # Closing a ticket subscribes to the transports' announcements (receivers.py).
        from profiledesk.tickets.models import State
        from profiledesk.tickets.states import step_rule_register

        from . import receivers  # noqa: F401
        from .rules import report_close_problem

        # "Close report": the rule of security's move to closed from a report ticket.
        step_rule_register(
            target=State.CLOSED,
            sources=[State.ESCALATED, State.VERIFYING],
            rule=report_close_problem,
        )
