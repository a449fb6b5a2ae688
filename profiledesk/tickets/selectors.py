"""Reads for the ticket queue (docs/design.md §3): a staff member's clients' open tickets, filtered,
sorted by due time, age or risk, a page at a time.

Built to stay fast with a million tickets:
- keyset pagination on each sort's keys and the id — (sla_due_at, id), (created_at, id),
  (risk_score DESC, sla_due_at, id): a page starts after (or before) the last row the
  staff member saw, so page 500 costs what page 1 costs — no OFFSET;
- every filter is an equality or a range that one of the partial indexes on
  (field, sla_due_at, id) WHERE state is open can serve in order, and each other sort
  has its own partial indexes, alone and after the client (models.Ticket.Meta);
- no COUNT(*) over the whole backlog: at most COUNT_CAP + 1 rows are counted, and the page
  says "1,000+" beyond that;
- a fixed number of queries whatever the page size: the page (with customer and
  assignee joined), the capped count, and the two lists the filters and the reassign
  form need (clients, people).
"""

import base64
import binascii
import datetime as dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from profiledesk.accounts.models import User
from profiledesk.accounts.roles import Role
from profiledesk.clients.models import Client, Membership
from profiledesk.clients.scoping import clients_for
from profiledesk.customers.selectors import SearchResult, customer_search
from profiledesk.policies.sla import DUE_SOON

from .models import OPEN_STATES, ChangeItem, Ticket, TicketQuerySet

PAGE_SIZE = 50
_Row = TypeVar("_Row")
_OPEN_Q = Q(state__in=OPEN_STATES)
COUNT_CAP = 1000
# The roles that work tickets: who the assignee filter and the reassign form offer.
FLOOR_ROLES = [Role.AGENT, Role.SUPERVISOR]


class SlaFilter:
    BREACHED = "breached"
    DUE_SOON = "due_soon"


class AssigneeFilter:
    ME = "me"
    NOBODY = "none"


class AgeBand(StrEnum):
    """How long ago an open ticket was opened (the dashboard's backlog by age)."""

    UNDER_1H = "lt1h"
    H1_4 = "1h-4h"
    H4_24 = "4h-24h"
    D1_3 = "1d-3d"
    OVER_3D = "gt3d"


# Each band's ages as [at least, less than); None: unbounded.
AGE_BANDS: dict[str, tuple[dt.timedelta | None, dt.timedelta | None]] = {
    AgeBand.UNDER_1H: (None, dt.timedelta(hours=1)),
    AgeBand.H1_4: (dt.timedelta(hours=1), dt.timedelta(hours=4)),
    AgeBand.H4_24: (dt.timedelta(hours=4), dt.timedelta(hours=24)),
    AgeBand.D1_3: (dt.timedelta(days=1), dt.timedelta(days=3)),
    AgeBand.OVER_3D: (dt.timedelta(days=3), None),
}


def age_band_q(band: str, now: dt.datetime) -> Q:
    """Tickets of that age band at `now`: a range on created_at (the open-age indexes)."""
    oldest, youngest = AGE_BANDS[band]
    q = Q()
    if oldest is not None:  # at least this old: opened at or before now - oldest
        q &= Q(created_at__lte=now - oldest)
    if youngest is not None:  # younger than this: opened after now - youngest
        q &= Q(created_at__gt=now - youngest)
    return q


def local_day_start(day: dt.date, zone: str) -> dt.datetime:
    """Midnight starting `day` in `zone`, as an aware datetime (a DST day has 23 or 25 h)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(zone))


def opened_between_q(
    *,
    client_ids: list[int],
    zones: Mapping[int, str],
    since: dt.date | None,
    until: dt.date | None,
) -> Q:
    """Tickets of `client_ids` opened from `since` to `until` (both included), each day a
    day in its client's own time zone (`zones`, UTC when missing): one created_at range
    per zone, so that a client's own index range serves it."""
    by_zone: dict[str, list[int]] = {}
    for pk in client_ids:
        by_zone.setdefault(zones.get(pk, "UTC"), []).append(pk)
    q = Q(pk__in=[])
    for zone, ids in by_zone.items():
        part = Q(client_id__in=ids)
        if since is not None:
            part &= Q(created_at__gte=local_day_start(since, zone))
        if until is not None:
            part &= Q(created_at__lt=local_day_start(until + dt.timedelta(days=1), zone))
        q |= part
    return q


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
    # Opened on these local dates (both included), each client's own day; and the age band.
    opened_since: dt.date | None = None
    opened_until: dt.date | None = None
    age: str = ""  # "" or an AgeBand


class Sort(StrEnum):
    """The queue's orders; each is a keyset served in order by a partial index."""

    DUE = "due"  # the soonest SLA due first
    AGE = "age"  # the oldest first
    RISK = "risk"  # the highest risk score first, then the soonest due


# Each sort's keyset: (field, descending) pairs, always followed by the id ascending (the
# tie-break). Every field is NOT NULL, so that comparisons never meet a NULL.
SORT_KEYS: dict[str, tuple[tuple[str, bool], ...]] = {
    Sort.DUE: (("sla_due_at", False),),
    Sort.AGE: (("created_at", False),),
    Sort.RISK: (("risk_score", True), ("sla_due_at", False)),
}
_DATETIME_KEYS = {"sla_due_at", "created_at"}


@dataclass(frozen=True)
class Cursor:
    """A position in the queue in one sort: the keyset values of a row and its id. Opaque
    to the browser; a cursor of one sort is refused by another."""

    sort: str
    values: tuple[dt.datetime | int, ...]
    id: int

    def encode(self) -> str:
        parts = [
            v.astimezone(dt.UTC).isoformat() if isinstance(v, dt.datetime) else str(v)
            for v in self.values
        ]
        text = "|".join([self.sort, *parts, str(self.id)])
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> "Cursor":
        """The cursor `token` names; ValueError for anything that is not one."""
        try:
            text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            sort, *parts, ticket_id = text.split("|")
            keys = SORT_KEYS[sort]
            if len(parts) != len(keys):
                raise ValueError("wrong number of keys")
            values: list[dt.datetime | int] = []
            for (field, _descending), part in zip(keys, parts, strict=True):
                if field in _DATETIME_KEYS:
                    moment = dt.datetime.fromisoformat(part)
                    if timezone.is_naive(moment):
                        raise ValueError("naive")
                    values.append(moment)
                else:
                    values.append(int(part))
            number = int(ticket_id)
        except (binascii.Error, UnicodeDecodeError, ValueError, KeyError) as error:
            raise ValueError("not a queue cursor") from error
        if number < 1 or any(isinstance(v, int) and v < 0 for v in values):
            raise ValueError("not a queue cursor")
        return cls(sort, tuple(values), number)

    @classmethod
    def of(cls, ticket: "Ticket | QueueTicket", sort: str = Sort.DUE) -> "Cursor":
        return cls(sort, tuple(getattr(ticket, f) for f, _desc in SORT_KEYS[sort]), ticket.pk)


def _keyset(cursor: Cursor, *, forward: bool) -> Q:
    """The rows after (`forward`) or before `cursor` in its sort: a lexicographic
    comparison written out as ORs, plus the bound on the first key alone that lets an
    index range scan start at the cursor."""
    keys = [*SORT_KEYS[cursor.sort], ("id", False)]
    values = [*cursor.values, cursor.id]
    later = Q(pk__in=[])
    for n, (field, descending) in enumerate(keys):
        lookup = "gt" if forward != descending else "lt"
        equal = {name: value for (name, _d), value in zip(keys[:n], values[:n], strict=True)}
        later |= Q(**equal, **{f"{field}__{lookup}": values[n]})
    first, descending = keys[0]
    bound = "gte" if forward != descending else "lte"
    return later & Q(**{f"{first}__{bound}": values[0]})


def _order(sort: str, *, forward: bool) -> list[str]:
    keys = [*SORT_KEYS[sort], ("id", False)]
    return [("-" if descending == forward else "") + field for field, descending in keys]


@dataclass(frozen=True, slots=True)
class QueueTicket:
    """A queue row's ticket as the raw values it prints (QUEUE_COLUMNS, in order): the
    queue's page is read as tuples, not model objects — building 51 tickets with their
    customer, assignee and client cost more than the query (issue 20)."""

    pk: int
    reference: str
    version: int
    state: str
    risk_level: str
    risk_score: int
    category: str
    channel: str
    summary: str
    sla_due_at: dt.datetime
    sla_paused_at: dt.datetime | None
    created_at: dt.datetime
    client_id: int
    client_name: str
    customer_id: int | None
    customer_number: str | None
    customer_legal_name: str | None  # None: no personal details (or no customer)
    assignee_id: int | None
    assignee_username: str | None
    assignee_first_name: str | None
    assignee_last_name: str | None
    first_item_label: str | None  # `_with_summary`'s annotations
    first_item_new: str | None
    item_count: int


# Every column of a ticket and of its joined rows that a queue row prints (or that its
# cursors are made of). The change summary is not here: writing a change item bumps the
# ticket's `version` (live.ticket_rows_register), which is.
FINGERPRINT_COLUMNS = (
    "id",
    "reference",
    "version",
    "state",
    "risk_level",
    "risk_score",
    "category",
    "channel",
    "summary",
    "sla_due_at",
    "sla_paused_at",
    "created_at",
    "client_id",
    "client__name",
    "customer_id",
    "customer__number",
    "customer__personal__legal_name",
    "assignee_id",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
)
# The page's rows: the fingerprint's columns, then the change summary's (annotated).
QUEUE_COLUMNS = (*FINGERPRINT_COLUMNS, "first_item_label", "first_item_new", "item_count")


_PageRow = TypeVar("_PageRow", "QueueTicket", Ticket)


@dataclass(frozen=True)
class QueuePage(Generic[_PageRow]):
    tickets: list[_PageRow]  # QueueTicket: the ticket queue's; Ticket: the security queue's
    count: int  # matching open tickets, at most COUNT_CAP + 1
    next_cursor: Cursor | None  # the last row, if more follow
    previous_cursor: Cursor | None  # the first row, if this is not the first page

    @property
    def count_is_capped(self) -> bool:
        return self.count > COUNT_CAP


def queue_clients(*, staff: User) -> list[Client]:
    """The active clients whose tickets `staff` may see (one query)."""
    return list(clients_for(staff).order_by("name"))


QUEUE_PERMS = ("view_ticket", "work_ticket", "reassign_ticket")


@dataclass(frozen=True)
class QueueAccess:
    """What the queue's background refresh needs to know of who asks, read fresh."""

    client_ids: tuple[int, ...]  # as queue_clients, in id order
    view: bool  # user.has_perm("tickets.view_ticket")
    work: bool  # … "tickets.work_ticket"
    reassign: bool  # … "tickets.reassign_ticket"


@functools.cache
def _queue_access_sql() -> str:
    """The tables from the models' own names (quoted); every value is a parameter."""
    q = connection.ops.quote_name
    membership, client = q(Membership._meta.db_table), q(Client._meta.db_table)
    user_perms = q(User.user_permissions.through._meta.db_table)
    user_groups = q(User.groups.through._meta.db_table)
    group_perms = q(Group.permissions.through._meta.db_table)
    permission, content_type = q(Permission._meta.db_table), q(ContentType._meta.db_table)
    marks = ", ".join(["%s"] * len(QUEUE_PERMS))
    perm_of = (
        f"JOIN {permission} p ON p.id = x.permission_id "
        f"JOIN {content_type} ct ON ct.id = p.content_type_id "
        f"WHERE ct.app_label = %s AND p.codename IN ({marks})"
    )
    # Table names from the models' metadata, quoted; values are parameters.
    return (
        f"SELECT m.client_id, CAST(NULL AS varchar(100)) FROM {membership} m "  # noqa: S608
        f"JOIN {client} c ON c.id = m.client_id WHERE m.user_id = %s AND c.is_active "
        f"UNION ALL SELECT CAST(NULL AS integer), p.codename FROM {user_perms} x "
        f"{perm_of} AND x.user_id = %s "
        f"UNION ALL SELECT CAST(NULL AS integer), p.codename FROM {group_perms} x "
        f"JOIN {user_groups} ug ON ug.group_id = x.group_id {perm_of} AND ug.user_id = %s"
    )


def queue_access(*, staff: User) -> QueueAccess:
    """The clients `staff` serves (`clients_for`'s rule: a membership of an active client)
    and their three ticket permissions (`has_perm`'s rule: active, and superuser or the
    permission given to them or to one of their groups), in one plain SQL query: the
    refresh's check before it may answer 304 costs no ORM query building."""
    perms: list[str | int] = ["tickets", *QUEUE_PERMS, staff.pk]
    with connection.cursor() as cursor:
        cursor.execute(_queue_access_sql(), [staff.pk, *perms, *perms])
        rows = cursor.fetchall()
    client_ids = tuple(sorted({row[0] for row in rows if row[0] is not None}))
    granted = {row[1] for row in rows if row[1] is not None}
    allowed = {
        codename: staff.is_active and (staff.is_superuser or codename in granted)
        for codename in QUEUE_PERMS
    }
    return QueueAccess(
        client_ids=client_ids,
        view=allowed["view_ticket"],
        work=allowed["work_ticket"],
        reassign=allowed["reassign_ticket"],
    )


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


def sla_breached_q(now: dt.datetime) -> Q:
    """As sla_status says: past due, unless the clock stopped before the due time. The
    queue's filter and the dashboard's count are this one rule."""
    return Q(sla_due_at__lte=now) & (
        Q(sla_paused_at__isnull=True) | Q(sla_due_at__lte=F("sla_paused_at"))
    )


def sla_due_soon_q(now: dt.datetime) -> Q:
    """Running clocks that run out within the hour (DUE_SOON); a stopped clock is not
    about to."""
    return Q(sla_due_at__gt=now, sla_due_at__lte=now + DUE_SOON, sla_paused_at__isnull=True)


def _filtered(
    *,
    staff: User,
    client_ids: list[int],
    filters: QueueFilters,
    now: dt.datetime,
    zones: Mapping[int, str] | None = None,
) -> TicketQuerySet:
    """Open tickets of `client_ids` (the staff member's clients, from `queue_clients`)
    that match `filters`, unordered. `zones`: each client's time zone, for the opened
    dates (the clients the view loaded already, so no query)."""
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
        tickets = tickets.filter(sla_breached_q(now))
    elif filters.sla == SlaFilter.DUE_SOON:
        tickets = tickets.filter(sla_due_soon_q(now))
    if filters.opened_since is not None or filters.opened_until is not None:
        tickets = tickets.filter(
            opened_between_q(
                client_ids=ids,
                zones=zones or {},
                since=filters.opened_since,
                until=filters.opened_until,
            )
        )
    if filters.age:
        if filters.age not in AGE_BANDS:
            return tickets.none()
        tickets = tickets.filter(age_band_q(filters.age, now))
    return tickets


def _with_summary(tickets: TicketQuerySet) -> TicketQuerySet:
    """The queue row's one-line summary in the page's own query: the first change item's
    label and masked new value and how many items there are, as correlated subqueries
    (each an index lookup on the item's ticket), so no query is added a page."""
    items = ChangeItem.objects.filter(ticket=OuterRef("pk"))
    first = items.order_by("position", "id")
    return tickets.annotate(
        first_item_label=Subquery(first.values("label")[:1]),
        first_item_new=Subquery(first.values("new_display")[:1]),
        item_count=Coalesce(
            Subquery(
                items.order_by().values("ticket").annotate(n=Count("pk")).values("n")[:1],
                output_field=IntegerField(),
            ),
            0,
        ),
    )


def change_summary(ticket: "Ticket | QueueTicket") -> str:
    """One line for a ticket annotated by `_with_summary`: "E-mail address → n•••@example.org
    (+1 more)" from the masked display the item keeps; the ticket's own summary (an e-mail's
    subject, a report) when nothing is captured yet."""
    count = getattr(ticket, "item_count", 0)
    if not count:
        return ticket.summary or str(_("No change captured yet"))
    # Annotations on a Ticket (not its declared fields), fields of a QueueTicket.
    label, new = getattr(ticket, "first_item_label", None), getattr(ticket, "first_item_new", None)
    line = str(label)
    if new:
        line = f"{line} → {new}"
    if count > 1:
        line += " " + str(
            ngettext("(+%(n)d more change)", "(+%(n)d more changes)", count - 1) % {"n": count - 1}
        )
    return line


def ticket_age(ticket: "Ticket | QueueTicket", now: dt.datetime) -> str:
    """How long ago the ticket was opened, in its largest unit: "3 hours", "2 days"."""
    return timesince(ticket.created_at, now, depth=1)


def _keyset_query(
    matching: TicketQuerySet,
    *,
    sort: str,
    after: Cursor | None,
    before: Cursor | None,
    size: int,
) -> TicketQuerySet:
    """The query for one page of `matching` (size + 1 rows: the extra one says whether more
    follow), walking backwards from `before` when given."""
    for cursor in (after, before):
        if cursor is not None and cursor.sort != sort:
            raise ValueError("a cursor of another sort")
    if before is not None:
        return matching.filter(_keyset(before, forward=False)).order_by(
            *_order(sort, forward=False)
        )[: size + 1]
    if after is not None:
        matching = matching.filter(_keyset(after, forward=True))
    return matching.order_by(*_order(sort, forward=True))[: size + 1]


def _page_bounds(
    rows: list[_Row], *, after: Cursor | None, before: Cursor | None, size: int
) -> tuple[list[_Row], bool, bool]:
    """(the page's rows in queue order, has a next page, has a previous page)."""
    if before is not None:
        return rows[:size][::-1], True, len(rows) > size
    return rows[:size], len(rows) > size, after is not None


def keyset_page(
    matching: TicketQuerySet,
    *,
    sort: str = Sort.DUE,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> tuple[list[Ticket], Cursor | None, Cursor | None]:
    """One page of `matching` in `sort` order: (rows, next cursor, previous cursor); one
    query. `after`: the page that follows that row; `before`: the page that ends just
    before it (the "previous" link). Neither: the first page. A cursor of another sort is
    a ValueError (the forms refuse it first)."""
    page = _with_summary(matching.select_related("customer__personal", "assignee", "client"))
    fetched = list(_keyset_query(page, sort=sort, after=after, before=before, size=size))
    rows, has_next, has_previous = _page_bounds(fetched, after=after, before=before, size=size)
    return (
        rows,
        Cursor.of(rows[-1], sort) if has_next and rows else None,
        Cursor.of(rows[0], sort) if has_previous and rows else None,
    )


def queue_for(
    *,
    staff: User,
    client_ids: list[int],
    filters: QueueFilters,
    sort: str = Sort.DUE,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = PAGE_SIZE,
    now: dt.datetime | None = None,
    zones: Mapping[int, str] | None = None,
    count: int | None = None,
) -> QueuePage[QueueTicket]:
    """One page of the queue in `sort` order (soonest SLA first by default) and the
    capped count (two queries; one when `count` is given: `queue_fingerprint` counted
    already). `zones`: each client's time zone (the opened dates)."""
    now = now or timezone.now()
    matching = _filtered(staff=staff, client_ids=client_ids, filters=filters, now=now, zones=zones)
    # keyset_page's query, read as the printed columns only (joins as select_related's).
    query = _keyset_query(_with_summary(matching), sort=sort, after=after, before=before, size=size)
    fetched = [QueueTicket(*values) for values in query.values_list(*QUEUE_COLUMNS)]
    rows, has_next, has_previous = _page_bounds(fetched, after=after, before=before, size=size)
    next_cursor = Cursor.of(rows[-1], sort) if has_next and rows else None
    previous_cursor = Cursor.of(rows[0], sort) if has_previous and rows else None
    if count is None:
        count = matching.order_by()[: COUNT_CAP + 1].count()
    return QueuePage(
        tickets=rows, count=count, next_cursor=next_cursor, previous_cursor=previous_cursor
    )


@dataclass(frozen=True)
class QueueFingerprint:
    """What a queue page shows, as raw values: equal fingerprints (at the same moment, for
    the same person and page) render the same rows."""

    rows: tuple[tuple[object, ...], ...]  # FINGERPRINT_COLUMNS of the page's rows, in order
    has_next: bool
    has_previous: bool
    count: int  # as QueuePage.count


def queue_fingerprint(
    *,
    staff: User,
    client_ids: list[int],
    filters: QueueFilters,
    sort: str = Sort.DUE,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = PAGE_SIZE,
    now: dt.datetime | None = None,
    zones: Mapping[int, str] | None = None,
) -> QueueFingerprint:
    """The page `queue_for` would give, as the raw values it prints (two queries: the
    page's columns and the capped count, the same index walks as the page's own, with no
    summary subqueries and no model objects): the queue's background refresh compares it
    before rendering anything."""
    now = now or timezone.now()
    matching = _filtered(staff=staff, client_ids=client_ids, filters=filters, now=now, zones=zones)
    query = _keyset_query(matching, sort=sort, after=after, before=before, size=size)
    fetched: list[tuple[object, ...]] = list(query.values_list(*FINGERPRINT_COLUMNS))
    rows, has_next, has_previous = _page_bounds(fetched, after=after, before=before, size=size)
    count = matching.order_by()[: COUNT_CAP + 1].count()
    return QueueFingerprint(
        rows=tuple(rows), has_next=has_next, has_previous=has_previous, count=count
    )


# --- a customer's tickets (the profile) and the desk's search box -------------------------

CUSTOMER_OPEN_LIMIT = 20
CUSTOMER_RECENT_LIMIT = 10


@dataclass(frozen=True)
class CustomerTickets:
    open: list[Ticket]  # soonest due first
    recent: list[Ticket]  # finished ones (applied, closed, cancelled, ...), newest first
    more_open: bool  # more open tickets than shown


def customer_tickets(
    *,
    staff: User,
    customer_id: int,
    open_limit: int = CUSTOMER_OPEN_LIMIT,
    recent_limit: int = CUSTOMER_RECENT_LIMIT,
) -> CustomerTickets:
    """The customer's open tickets and latest finished ones, each list bounded (two
    queries, over the index on (customer, created_at)), scoped to the staff member's
    clients like every ticket read."""
    theirs = _with_summary(
        Ticket.objects.for_staff(staff).filter(customer_id=customer_id).select_related("assignee")
    )
    open_rows = list(theirs.open().order_by("sla_due_at", "id")[: open_limit + 1])
    recent = list(theirs.exclude(_OPEN_Q).order_by("-created_at", "-id")[:recent_limit])
    return CustomerTickets(
        open=open_rows[:open_limit], recent=recent, more_open=len(open_rows) > open_limit
    )


SEARCH_TICKET_LIMIT = 25
# A ticket reference as typed: "PD-000011", "pd-11", "PD 11", "pd11".
_REFERENCE = re.compile(r"^PD[-\s]?0*(\d{1,9})$", re.IGNORECASE)


def reference_in(query: str) -> str | None:
    """The ticket reference `query` names ("PD-000011"), or None."""
    match = _REFERENCE.match(query.strip())
    return f"PD-{int(match.group(1)):06d}" if match else None


@dataclass(frozen=True)
class DeskSearch:
    tickets: list[Ticket]  # the ticket named, then the customers' tickets, open first
    more_tickets: bool
    customers: SearchResult


def desk_search(*, staff: User, query: str, limit: int = SEARCH_TICKET_LIMIT) -> DeskSearch:
    """Tickets by reference, and customers by number, name, e-mail or phone with their
    tickets, all within the staff member's clients (the scoping is in each query: another
    client's rows are never read, so neither the answer nor its cost says they exist).

    A fixed number of queries whatever matches: the reference (when the query is one),
    customers_search's (the customers and their primary contacts) and the customers'
    tickets."""
    customers = customer_search(staff=staff, query=query)
    scoped = _with_summary(
        Ticket.objects.for_staff(staff).select_related("customer__personal", "assignee", "client")
    )
    named: list[Ticket] = []
    reference = reference_in(query)
    if reference:
        named = list(scoped.filter(reference=reference)[:1])
    ids = [customer.pk for customer in customers.customers]
    rows: list[Ticket] = []
    if ids:
        rows = list(
            scoped.filter(customer_id__in=ids)
            .exclude(pk__in=[t.pk for t in named])
            .annotate(finished=Case(When(_OPEN_Q, then=0), default=1))
            .order_by("finished", "-created_at", "-id")[: limit + 1]
        )
    tickets = [*named, *rows]
    return DeskSearch(
        tickets=tickets[:limit], more_tickets=len(tickets) > limit, customers=customers
    )
