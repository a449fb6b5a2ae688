"""When a ticket may be applied (docs/design.md §6): the checks `ticket_apply` makes under the
ticket's row lock, and the rule of the service-only `ready -> applied` and
`approved -> applied` moves that apps.py registers with tickets.states (which decides
whether the "Apply" button is offered).

- `ready`: only when the policy needs no approval for this change (approvals.rules.plan_for)
  and the verification it was marked verified on is still valid (30 minutes, docs/design.md §4:
  "Verification expired at 10:32: verify the caller again").
- `approved`: only while the approved round still signs the current items (the diff hash);
  its verification is the one the round recorded at submission (the approvers judged it),
  so an approval that takes longer than 30 minutes does not expire it.
- never for a frozen profile, nor while a recent contact change holds the ticket back
  (an approved ticket: unless the round recorded AL3).
- `risk_problem`: ticket_apply re-assesses the risk under the row lock first (the
  customer's other tickets may have moved since): a risk that now needs an approval tier
  the ticket does not have refuses ("The risk rose to high: submit it for approval"), and
  a critical risk is never applied from the floor unless security has reviewed the ticket
  and it was approved.
"""

from django.utils.translation import gettext as _

from profiledesk.accounts.models import User
from profiledesk.approvals.models import Approval, ApprovalRound
from profiledesk.approvals.rules import (
    cooling_off_problem,
    frozen_problem,
    plan_for,
    security_reviewed,
    ticket_diff_hash,
    verification_problem,
)
from profiledesk.tickets.models import RiskLevel, State, Ticket

APPLICABLE = (State.READY, State.APPROVED)


def approved_round(ticket: Ticket) -> ApprovalRound | None:
    return (
        ApprovalRound.objects.filter(ticket_id=ticket.pk, status=ApprovalRound.Status.APPROVED)
        .order_by("-closed_at", "-id")
        .first()
    )


def risk_problem(ticket: Ticket) -> str | None:
    """The ticket's stored risk (re-assessed by ticket_apply under the lock) against what
    it went through: critical needs security's review and an approval; a level that adds
    a tier needs that tier approved."""
    level = ticket.risk_level
    if ticket.risk_level == RiskLevel.CRITICAL and not (
        security_reviewed(ticket) and ticket.state == State.APPROVED
    ):
        return _(
            "The risk rose to %(level)s (%(score)d): nobody on the floor can apply it; "
            "submit it and it goes to security."
        ) % {"level": level, "score": ticket.risk_score}
    if ticket.risk_level not in (RiskLevel.HIGH, RiskLevel.CRITICAL):
        return None
    needed = plan_for(ticket).tiers
    if ticket.state == State.READY and needed:
        return _("The risk rose to %(level)s: submit it for approval.") % {"level": level}
    approval_round = approved_round(ticket) if ticket.state == State.APPROVED else None
    if approval_round is not None and approval_round.tiers_needed < needed:
        return _(
            "The risk rose to %(level)s after it was approved: it needs %(tiers)d tiers of "
            "approval now; submit it again."
        ) % {"level": level, "tiers": needed}
    return None


def approvals_problem(ticket: Ticket) -> str | None:
    """An approved ticket: its last approved round, with standing approvals, signs the
    items as they are now. A ready ticket: the policy needs no approval."""
    if ticket.state == State.READY:
        if plan_for(ticket).tiers:
            return _("This change needs approval first: submit it for approval.")
        return None
    approval_round = approved_round(ticket)
    if (
        approval_round is None
        or not Approval.objects.filter(
            round=approval_round, decision=Approval.Decision.APPROVED, voided_at__isnull=True
        ).exists()
    ):
        return _("This ticket has no standing approval.")
    if approval_round.diff_hash != ticket_diff_hash(ticket):
        return _("The change was edited after it was approved: its approvals no longer hold.")
    return None


def apply_problem(ticket: Ticket) -> str | None:
    """Why `ticket` cannot be applied now, or None."""
    if ticket.state not in APPLICABLE:
        return _("A ticket that is “%(state)s” cannot be applied.") % {
            "state": ticket.get_state_display()
        }
    if ticket.customer_id is None:
        return _("Match the request to a customer first.")
    problem = frozen_problem(ticket) or risk_problem(ticket) or approvals_problem(ticket)
    if problem:
        return problem
    if ticket.state == State.READY:
        return verification_problem(ticket) or cooling_off_problem(ticket)
    # Approved: the approvers judged the verification the round recorded at submission.
    # An approved ticket has its approved round (approvals grant it with the last tier).
    recorded = (approved_round(ticket).verification or {}).get("level")  # type: ignore[union-attr]
    return cooling_off_problem(ticket, level=recorded)


def applier_problem(ticket: Ticket, user: User | None) -> str | None:
    """Four eyes hold through a take-over: who approved the change does not apply it too
    (a supervisor who approved, then took the ticket over). One query, approved only."""
    if user is None or ticket.state != State.APPROVED:
        return None
    approval_round = approved_round(ticket)
    if (
        approval_round is not None
        and Approval.objects.filter(
            round=approval_round,
            decision=Approval.Decision.APPROVED,
            voided_at__isnull=True,
            approver=user,
        ).exists()
    ):
        return _("You approved this change: someone else applies it.")
    return None
