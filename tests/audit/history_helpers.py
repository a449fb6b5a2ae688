"""Versions for the history tests, written the way apply writes them."""

from tests.factories import TicketFactory


def write(row, *, by=None, reason: str = "", **values):
    """Save `row` with `values` as `by` with `reason`: one history version."""
    for name, value in values.items():
        setattr(row, name, value)
    row._history_user = by
    row._change_reason = reason
    row.save()
    return row


def applied(ticket) -> str:
    return f"{ticket.reference} applied"


def ticket_for(customer, by, category="contact"):
    return TicketFactory(customer=customer, created_by=by, category=category)
