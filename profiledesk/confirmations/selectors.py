"""Reading confirmations: what the ticket page shows (masked recipients only)."""

from profiledesk.tickets.models import State, Ticket

from .models import Confirmation

SHOWN_IN = (State.APPLIED, State.CLOSED, State.ROLLED_BACK)


def ticket_confirmations(ticket: Ticket) -> list[Confirmation]:
    """The ticket's confirmations with their messages or in-app deliveries: one query,
    none unless the ticket has been applied."""
    if ticket.state not in SHOWN_IN:
        return []
    return list(
        Confirmation.objects.filter(ticket_id=ticket.pk)
        .select_related("message", "delivery")
        .order_by("pk")
    )
