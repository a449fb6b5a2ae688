"""One ticket's audit trail (docs/design.md §7): everything recorded about it, for the per-ticket
audit view."""

from dataclasses import dataclass

from django.db.models import Q

from profiledesk.approvals.models import Approval, ApprovalRound
from profiledesk.confirmations.models import Confirmation
from profiledesk.connectors.models import Delivery
from profiledesk.tickets.models import ChangeItem, Ticket, TicketEvent
from verification.models import Attempt, DocumentCheck

from .history import Version, ticket_versions
from .models import AuditEvent


@dataclass(frozen=True)
class TicketTrail:
    events: list  # tickets.TicketEvent, with actor
    item_history: list  # historical ChangeItem rows, with history_user
    versions: list[Version]  # the profile versions it wrote
    attempts: list  # verification.Attempt
    documents: list  # verification.DocumentCheck, with checked_by (never the file's content)
    rounds: list  # approvals.ApprovalRound, with submitted_by
    approvals: list  # approvals.Approval, with approver
    confirmations: list  # confirmations.Confirmation, with message
    deliveries: list  # connectors.Delivery, with connector (no event payload read)
    audit_events: list  # audit.AuditEvent whose target is the ticket
    rollbacks: list  # tickets.Ticket rolling this one back
    rolls_back: object | None  # tickets.Ticket this one rolls back


def ticket_trail(*, ticket) -> TicketTrail:
    """Everything recorded about `ticket`: 12 queries (13 with profile versions),
    whatever their sizes."""
    # Both directions of rollback in one query.
    linked = list(
        Ticket.objects.filter(Q(rollback_of_id=ticket.pk) | Q(pk=ticket.rollback_of_id or 0))
        .exclude(pk=ticket.pk)
        .order_by("pk")
    )
    return TicketTrail(
        events=list(TicketEvent.objects.filter(ticket_id=ticket.pk).select_related("actor")),
        item_history=list(
            ChangeItem.history.filter(ticket_id=ticket.pk)
            .select_related("history_user")
            .order_by("history_date", "history_id")
        ),
        versions=ticket_versions(ticket=ticket),
        attempts=list(
            Attempt.objects.filter(ticket_id=ticket.pk).select_related("staff").order_by("at")
        ),
        documents=list(
            DocumentCheck.objects.filter(ticket_id=ticket.pk)
            .select_related("checked_by")
            .order_by("checked_at", "pk")
        ),
        rounds=list(
            ApprovalRound.objects.filter(ticket_id=ticket.pk)
            .select_related("submitted_by")
            .order_by("submitted_at", "pk")
        ),
        approvals=list(
            Approval.objects.filter(ticket_id=ticket.pk)
            .select_related("approver")
            .order_by("decided_at", "pk")
        ),
        confirmations=list(
            Confirmation.objects.filter(ticket_id=ticket.pk)
            .select_related("message", "delivery")
            .order_by("pk")
        ),
        deliveries=list(
            Delivery.objects.filter(ticket_id=ticket.pk)
            .select_related("connector")
            .defer("event")
            .order_by("pk")
        ),
        audit_events=list(
            AuditEvent.objects.filter(target_type="tickets.ticket", target_id=str(ticket.pk))
            .select_related("actor")  # named as the desk names staff, no query a row
            .defer("data")
            .order_by("id")[:200]
        ),
        rollbacks=[t for t in linked if t.rollback_of_id == ticket.pk],
        rolls_back=next((t for t in linked if t.pk == ticket.rollback_of_id), None),
    )
