"""Rows for the figures' tests, inserted as they stand at a moment (like the queue's
helpers): tickets in any state with the timeline moves that got them there."""

import datetime as dt
import itertools

from profiledesk.approvals.models import Approval, ApprovalRound
from profiledesk.confirmations.models import Confirmation
from profiledesk.connectors.models import Connector, Delivery
from profiledesk.dashboards.models import DailyFigure
from profiledesk.messaging.models import Message
from profiledesk.tickets.models import State, Ticket, TicketEvent
from tests.factories import UserFactory

UTC = dt.UTC
_serial = itertools.count(1)


def at(text: str) -> dt.datetime:
    """ "2026-03-10 23:30" in UTC."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def ticket(
    client,
    *,
    created: dt.datetime,
    due: dt.datetime | None = None,
    state: str = State.NEW,
    channel: str = "phone",
    category: str = "contact",
    risk: str = "low",
    reasons: list | None = None,
    paused_at: dt.datetime | None = None,
    updated: dt.datetime | None = None,
    customer=None,
) -> Ticket:
    row = Ticket.objects.create(
        client=client,
        customer=customer,
        state=state,
        channel=channel,
        category=category,
        risk_level=risk,
        risk_reasons=reasons or [],
        sla_due_at=due or created + dt.timedelta(days=30),
        sla_paused_at=paused_at,
        created_at=created,
        updated_at=updated or created,
    )
    row.reference = f"PD-{row.pk:06d}"
    row.save(update_fields=["reference"])
    return row


def move(ticket: Ticket, to: str, when: dt.datetime, *, source: str = "") -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        at=when,
        kind=TicketEvent.Kind.TRANSITION,
        from_state=source,
        to_state=to,
    )


def approval_round(ticket: Ticket, *, submitted: dt.datetime, per_tier=1, tiers=1, status="open"):
    return ApprovalRound.objects.create(
        ticket=ticket,
        client=ticket.client,
        tiers_needed=tiers,
        per_tier=per_tier,
        current_tier=0 if status != "open" else 1,
        diff_hash="h",
        status=status,
        submitted_at=submitted,
    )


def decide(round_, *, tier: int, decision: str, when: dt.datetime, voided=None) -> Approval:
    return Approval.objects.create(
        ticket=round_.ticket,
        round=round_,
        tier=tier,
        approver=UserFactory(),
        decision=decision,
        diff_hash="h",
        decided_at=when,
        voided_at=voided,
    )


def connector(client, name: str = "CRM") -> Connector:
    return Connector.objects.create(
        client=client, name=name, kind="crm", url="https://crm.example/", secret_encrypted="x"
    )


def delivery(ticket, connector_, *, created, status="pending", delivered=None) -> Delivery:
    serial = next(_serial)
    return Delivery.objects.create(
        client=ticket.client,
        ticket=ticket,
        connector=connector_,
        event={},
        event_id=f"evt-{serial}",
        idempotency_key=f"evt-{serial}:{connector_.pk}",
        status=status,
        next_attempt_at=created,
        created_at=created,
        delivered_at=delivered,
    )


def message(ticket, *, created, channel="email", status="queued", error="") -> Message:
    return Message.objects.create(
        client=ticket.client,
        ticket=ticket,
        channel=channel,
        recipient="grace@example.com" if channel == "email" else "+447700900123",
        template="confirmation",
        language="en",
        text_redacted="Your change",
        idempotency_key=f"msg-{next(_serial)}",
        status=status,
        last_error=error,
        due_at=created,
        created_at=created,
    )


def confirmation(ticket, *, created, message_=None, delivery_=None) -> Confirmation:
    return Confirmation.objects.create(
        ticket=ticket,
        message=message_,
        delivery=delivery_,
        recipient_masked="g•••@example.com",
        reason="preferred",
        created_at=created,
    )


def figures(client, metric: str) -> dict[tuple, tuple[int, list[int]]]:
    """{(day, key1, key2, key3): (count, durations)} of one client's metric."""
    return {
        (row.day.isoformat(), row.key1, row.key2, row.key3): (row.count, row.durations)
        for row in DailyFigure.objects.filter(client=client, metric=metric)
    }
