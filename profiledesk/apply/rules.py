"""When a ticket may be applied (DESIGN 6): the checks `ticket_apply` makes under the
ticket's row lock, and the guard of the `ready -> applied` and `approved -> applied`
moves in tickets.states (which decides whether the "Apply" button is offered).

- `ready`: only when the policy needs no approval for this change (approvals.rules.plan_for).
- `approved`: only while the approved round still signs the current items (the diff hash).
- never for a frozen profile, nor while a recent contact change holds the ticket back.
"""

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from django.utils.translation import gettext as _

from profiledesk.approvals.models import Approval, ApprovalRound
from profiledesk.approvals.rules import (
    cooling_off_problem,
    frozen_problem,
    plan_for,
    ticket_diff_hash,
)
from profiledesk.tickets.models import State, Ticket

APPLICABLE = (State.READY, State.APPROVED)

# Set while ticket_apply makes the move: it has made every check itself, under the lock.
_in_service: ContextVar[bool] = ContextVar("apply_in_service", default=False)


@contextlib.contextmanager
def service_move() -> Iterator[None]:
    token = _in_service.set(True)
    try:
        yield
    finally:
        _in_service.reset(token)


def approvals_problem(ticket: Ticket) -> str | None:
    """An approved ticket: its last approved round, with standing approvals, signs the
    items as they are now. A ready ticket: the policy needs no approval."""
    if ticket.state == State.READY:
        if plan_for(ticket).tiers:
            return _("This change needs approval first: submit it for approval.")
        return None
    approval_round = (
        ApprovalRound.objects.filter(ticket_id=ticket.pk, status=ApprovalRound.Status.APPROVED)
        .order_by("-closed_at", "-id")
        .first()
    )
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
    return (
        frozen_problem(ticket) or approvals_problem(ticket) or cooling_off_problem(ticket) or None
    )


def apply_guard(ticket: Ticket) -> str | None:
    """Guard of the moves to `applied` (tickets.states): the button is offered when the
    ticket could be applied; the move itself is made by ticket_apply only (its URL is the
    move's `via`, and the generic move form refuses moves that have one)."""
    if _in_service.get():
        return None
    return apply_problem(ticket)
