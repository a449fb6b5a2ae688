"""Reads of the edit page."""

from profiledesk.approvals.models import Approval
from profiledesk.tickets.models import Ticket


def approvals_standing(*, ticket: Ticket) -> int:
    """The approvals an edit would void (one query)."""
    return Approval.objects.filter(
        ticket_id=ticket.pk, voided_at__isnull=True, decision=Approval.Decision.APPROVED
    ).count()
