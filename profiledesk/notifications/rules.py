"""Which moves tell someone, and whom (no query but the recipient's membership)."""

from profiledesk.tickets.models import State, Ticket

from .models import Kind

# The moves that come back to the ticket's owner: a decision they did not make.
_RETURNED_FROM = {State.PENDING_APPROVAL, State.APPROVED}


def kind_of_move(*, source: str, target: str) -> str | None:
    """The notification a move gives, or None: rejected (by an approver, or by security as
    fraud), approved (ready to apply), or sent back to ready (its approvals voided)."""
    if target == State.REJECTED:
        return Kind.REJECTED
    if target == State.APPROVED:
        return Kind.APPROVED
    if target == State.READY and source in _RETURNED_FROM:
        return Kind.RETURNED
    return None


def owner_id(ticket: Ticket) -> int | None:
    """Who a ticket belongs to: its assignee, who works it (and, through approval, still
    holds it: submitting keeps the claim); when nobody holds it, the staff member who
    opened it (a rollback compliance opened, a ticket its agent released). A ticket from
    the API or inbound e-mail that nobody holds is the floor's: nobody in particular."""
    return ticket.assignee_id or ticket.created_by_id
