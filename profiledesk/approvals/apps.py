from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "profiledesk.approvals"
    label = "approvals"
    verbose_name = "Approvals, escalation and freeze"

    def ready(self) -> None:
        # Imported in ready(): Django loads apps.py before the models it would import.
        # tickets.states sits below approvals: the buttons of the moves whose rule is
        # approvals' ask the rules registered here.
        from profiledesk.tickets.models import State
        from profiledesk.tickets.panels import ticket_panel_register
        from profiledesk.tickets.states import step_rule_register

        from .rules import submit_offer_problem, verify_again_problem
        from .selectors import approval_panel

        ticket_panel_register(approval_panel)

        # Decisions are on the ticket page: they bump the ticket's version (tickets/live.py).
        from profiledesk.tickets.live import ticket_rows_register

        from .models import Approval, ApprovalRound

        ticket_rows_register(Approval, ApprovalRound)

        step_rule_register(
            target=State.PENDING_APPROVAL, sources=[State.READY], rule=submit_offer_problem
        )
        step_rule_register(target=State.VERIFYING, sources=[State.READY], rule=verify_again_problem)
