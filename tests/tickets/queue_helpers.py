"""Tickets for the queue's tests, in any state and with any SLA due time.

Tests need open tickets in states the state machine takes several steps to reach, so they
are inserted as rows here (like the demo seed does), not walked there with `transition`.
"""

import datetime as dt
import re

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from profiledesk.policies.categories import Category
from profiledesk.tickets.models import Channel, RiskLevel, State, Ticket

REFERENCE = re.compile(rb'data-reference="(PD-\d+)"')


def queue_ticket(
    client,
    *,
    customer=None,
    state: str = State.NEW,
    due_in: dt.timedelta = dt.timedelta(hours=3),
    channel: str = Channel.PHONE,
    category: str = Category.CONTACT,
    risk: str = RiskLevel.LOW,
    assignee=None,
    paused_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    now = now or timezone.now()
    ticket = Ticket.objects.create(
        client=client,
        customer=customer,
        state=state,
        channel=channel,
        category=category,
        risk_level=risk,
        assignee=assignee,
        sla_due_at=now + due_in,
        sla_paused_at=paused_at,
        created_at=now - dt.timedelta(hours=1),
        updated_at=now,
    )
    ticket.reference = f"PD-{ticket.pk:06d}"
    ticket.save(update_fields=["reference"])
    return ticket


def many_open_tickets(
    client, count: int, *, customer=None, assignee=None, start: int = 0
) -> list[Ticket]:
    """`count` open tickets due one minute apart, in one INSERT (and one of history)."""
    now = timezone.now()
    tickets = [
        Ticket(
            client=client,
            customer=customer,
            assignee=assignee,
            reference=f"PD-{900000 + start + n:06d}",
            channel=Channel.EMAIL,
            category=Category.CONTACT,
            sla_due_at=now + dt.timedelta(minutes=n + 1),
            created_at=now,
            updated_at=now,
        )
        for n in range(count)
    ]
    return bulk_create_with_history(tickets, Ticket)


def references_in(response) -> list[str]:
    """The ticket references of the queue rows, in page order."""
    return [match.decode() for match in REFERENCE.findall(response.content)]
