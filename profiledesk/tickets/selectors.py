"""Reads for the ticket queue (docs/design.md §3): a staff member's clients' open tickets, filtered,
soonest SLA first, a page at a time.

Built to stay fast with a million tickets:
- keyset pagination on (sla_due_at, id): a page starts after (or before) the last row the
  staff member saw, so page 500 costs what page 1 costs — no OFFSET;
- every filter is an equality or a range that one of the partial indexes on
  (field, sla_due_at, id) WHERE state is open can serve in order (models.Ticket.Meta);
- no COUNT(*) over the whole backlog: at most COUNT_CAP + 1 rows are counted, and the page
  says "1,000+" beyond that;
- a fixed number of queries whatever the page size: the page (with customer and
  assignee joined), the capped count, and the two lists the filters and the reassign
  form need (clients, people).
"""

import base64
import binascii
import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Q
from django.utils import timezone

from profiledesk.accounts.models import User
from profiledesk.accounts.roles import Role
from profiledesk.clients.models import Client, Membership
from profiledesk.clients.scoping import clients_for
from profiledesk.policies.sla import DUE_SOON

from .models import OPEN_STATES, Ticket, TicketQuerySet

PAGE_SIZE = 50
COUNT_CAP = 1000
# The roles that work tickets: who the assignee filter and the reassign form offer.
FLOOR_ROLES = [Role.AGENT, Role.SUPERVISOR]


class SlaFilter:
    BREACHED = "breached"
    DUE_SOON = "due_soon"


class AssigneeFilter:
    ME = "me"
    NOBODY = "none"


@dataclass(frozen=True)
class QueueFilters:
    """What the queue is narrowed to; empty means "any"."""

    state: str = ""
    client: int | None = None
    channel: str = ""
    category: str = ""
    risk: str = ""
    assignee: str = ""  # "", AssigneeFilter.ME / NOBODY, or a user id
    sla: str = ""  # "", SlaFilter.BREACHED / DUE_SOON


@dataclass(frozen=True)
class Cursor:
    """A position in the queue: the (sla_due_at, id) of a row. Opaque to the browser."""

    sla_due_at: dt.datetime
    id: int

    def encode(self) -> str:
        text = f"{self.sla_due_at.astimezone(dt.UTC).isoformat()}|{self.id}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> "Cursor":
        """The cursor `token` names; ValueError for anything that is not one."""
        try:
            text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            moment, ticket_id = text.split("|")
            due = dt.datetime.fromisoformat(moment)
            number = int(ticket_id)
        except (binascii.Error, UnicodeDecodeError, ValueError) as error:
            raise ValueError("not a queue cursor") from error
        if timezone.is_naive(due) or number < 1:
            raise ValueError("not a queue cursor")
        return cls(due, number)

    @classmethod
    def of(cls, ticket: Ticket) -> "Cursor":
        return cls(ticket.sla_due_at, ticket.pk)


@dataclass(frozen=True)
class QueuePage:
    tickets: list[Ticket]
    count: int  # matching open tickets, at most COUNT_CAP + 1
    next_cursor: Cursor | None  # the last row, if more follow
    previous_cursor: Cursor | None  # the first row, if this is not the first page

    @property
    def count_is_capped(self) -> bool:
        return self.count > COUNT_CAP


def queue_clients(*, staff: User) -> list[Client]:
    """The active clients whose tickets `staff` may see (one query)."""
    return list(clients_for(staff).order_by("name"))


def queue_people(*, client_ids: list[int]) -> list[Membership]:
    """Memberships of the agents and supervisors of these clients, with their users (one
    query): the assignee filter and, grouped by client, who a ticket can go to."""
    return list(
        Membership.objects.filter(
            client_id__in=client_ids,
            user__is_active=True,
            user__groups__name__in=FLOOR_ROLES,
        )
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username", "client_id")
        .distinct()
    )


def reassign_candidate(*, ticket: Ticket, username: str) -> User | None:
    """The active agent or supervisor of the ticket's client called `username`, if any."""
    return (
        User.objects.filter(
            username=username,
            is_active=True,
            memberships__client_id=ticket.client_id,
            groups__name__in=FLOOR_ROLES,
        )
        .distinct()
        .first()
    )


def _filtered(
    *, staff: User, client_ids: list[int], filters: QueueFilters, now: dt.datetime
) -> TicketQuerySet:
    """Open tickets of `client_ids` (the staff member's clients, from `queue_clients`)
    that match `filters`, unordered."""
    ids = client_ids
    if filters.client is not None:
        ids = [pk for pk in client_ids if pk == filters.client]
    # The ids come from clients_for(staff), the one scoping decision; given as values and
    # not as its subquery so that PostgreSQL can walk one client's partial index in order.
    tickets = Ticket.objects.filter(client_id__in=ids)
    if filters.state:
        # One open state, not "open AND this state": PostgreSQL would count the state
        # twice, expect a fraction of the rows there are, and pick a worse plan.
        if filters.state not in OPEN_STATES:
            return tickets.none()
        tickets = tickets.filter(state=filters.state)
    else:
        tickets = tickets.open()
    exact = {
        "channel": filters.channel,
        "category": filters.category,
        "risk_level": filters.risk,
    }
    tickets = tickets.filter(**{field: value for field, value in exact.items() if value})
    if filters.assignee == AssigneeFilter.ME:
        tickets = tickets.filter(assignee_id=staff.pk)
    elif filters.assignee == AssigneeFilter.NOBODY:
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.assignee:
        tickets = tickets.filter(assignee_id=int(filters.assignee))
    if filters.sla == SlaFilter.BREACHED:
        # As sla_status says: past due, unless the clock stopped before the due time.
        tickets = tickets.filter(sla_due_at__lte=now).filter(
            Q(sla_paused_at__isnull=True) | Q(sla_due_at__lte=F("sla_paused_at"))
        )
    elif filters.sla == SlaFilter.DUE_SOON:
        # Running clocks that run out within the hour; a stopped clock is not about to.
        tickets = tickets.filter(
            sla_due_at__gt=now, sla_due_at__lte=now + DUE_SOON, sla_paused_at__isnull=True
        )
    return tickets


def queue_for(
    *,
    staff: User,
    client_ids: list[int],
    filters: QueueFilters,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = PAGE_SIZE,
    now: dt.datetime | None = None,
) -> QueuePage:
    """One page of the queue, soonest SLA first, and the capped count (two queries).

    `after`: the page that follows that row; `before`: the page that ends just before it
    (the "previous" link). Neither: the first page.
    """
    now = now or timezone.now()
    matching = _filtered(staff=staff, client_ids=client_ids, filters=filters, now=now)
    page = matching.select_related("customer", "assignee", "client")
    if before is not None:
        # Walk backwards from `before`, then show the rows in queue order.
        rows = list(
            page.filter(
                Q(sla_due_at__lt=before.sla_due_at)
                | Q(sla_due_at=before.sla_due_at, id__lt=before.id),
                sla_due_at__lte=before.sla_due_at,
            ).order_by("-sla_due_at", "-id")[: size + 1]
        )
        has_previous = len(rows) > size
        rows = rows[:size][::-1]
        has_next = True
    else:
        if after is not None:
            page = page.filter(
                Q(sla_due_at__gt=after.sla_due_at)
                | Q(sla_due_at=after.sla_due_at, id__gt=after.id),
                sla_due_at__gte=after.sla_due_at,
            )
        rows = list(page.order_by("sla_due_at", "id")[: size + 1])
        has_next = len(rows) > size
        rows = rows[:size]
        has_previous = after is not None
    count = matching.order_by()[: COUNT_CAP + 1].count()
    return QueuePage(
        tickets=rows,
        count=count,
        next_cursor=Cursor.of(rows[-1]) if has_next and rows else None,
        previous_cursor=Cursor.of(rows[0]) if has_previous and rows else None,
    )
