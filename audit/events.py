"""Reads for the audit-events list (`GET /audit/events/`) and the compliance panels that
count the same events (profiledesk/dashboards/compliance.py).

A day is the client's local day: an event counts on the date of its `created_at` in its
client's time zone, each client its own (`local_days`). The list and the panels filter
with the same `local_days`, so a number on a panel is exactly the rows its link lists.

Queries stay bounded by client, action and time on the index `audit_client_action_at`
(client, action, created_at; audit migration 0004); pages are keysets on the id, which
the hash chain hands out in order of `created_at`.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from profiledesk.accounts.models import User
from profiledesk.accounts.naming import staff_name_of
from profiledesk.clients.models import Client
from profiledesk.clients.scoping import client_ids_for, clients_for
from profiledesk.customers.models import Customer
from profiledesk.tickets.models import Ticket

from .models import AuditEvent

PAGE_SIZE = 50
# Keys of `data` that name things (a ticket, which field, what kind of export), never a
# customer's value: the only part of `data` the list shows (audit_record's callers pass
# masked values at most; this list does not even show those).
SHOWN_DATA = {
    "reference": _("Ticket"),
    "ticket": _("Ticket"),
    "label": _("Field"),
    "kind": _("Kind"),
    "format": _("Format"),
}
TICKET_TARGET = "tickets.ticket"
CUSTOMER_TARGET = "customers.customer"


def zone_of(time_zone: str) -> ZoneInfo:
    return ZoneInfo(time_zone or "UTC")


def viewer_clients(viewer: User) -> list[Client]:
    """The clients the viewer may read the events of, by name: 1 query."""
    return list(clients_for(viewer).order_by("name", "pk"))


def viewer_staff(viewer: User) -> list[tuple[int, str]]:
    """(id, name) of the staff sharing a client with the viewer, named as the desk names
    staff: the actor filter's choices, and whose activity page a row may link to. 1 query."""
    rows = (
        get_user_model()
        .objects.filter(memberships__client_id__in=client_ids_for(viewer))
        .distinct()
        .order_by("first_name", "last_name", "username")
        .values_list("pk", "username", "first_name", "last_name")
    )
    return [
        (pk, staff_name_of(username=username, first_name=first, last_name=last))
        for pk, username, first, last in rows
    ]


def actor_choices(viewer: User, staff: list[tuple[int, str]], asked: str) -> list[tuple[int, str]]:
    """The actor filter's choices: the staff sharing a client with the viewer and, when
    the filter asks for someone else, that person if they acted in one of the viewer's
    clients — a staff member since taken off the client, whose reveals the compliance
    panel still counts and links to. 1 query (the actor index) only in that case."""
    if not asked.isdigit() or len(asked) > 18 or int(asked) in {pk for pk, _name in staff}:
        return staff
    former = (
        get_user_model()
        .objects.filter(
            pk=int(asked),
            pk__in=AuditEvent.objects.filter(
                actor_id=int(asked), client_id__in=client_ids_for(viewer)
            ).values("actor_id")[:1],
        )
        .values_list("pk", "username", "first_name", "last_name")
        .first()
    )
    if former is None:
        return staff
    pk, username, first, last = former
    return [*staff, (pk, staff_name_of(username=username, first_name=first, last_name=last))]


def local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def local_days(zones: Mapping[int, ZoneInfo], since: dt.date | None, until: dt.date | None) -> Q:
    """Events of these clients on their own local days `since`..`until` (both included; a
    missing end is open): one range a time zone, so each stays an index range scan."""
    if not zones:
        return Q(pk__in=[])
    by_zone: dict[str, list[int]] = defaultdict(list)
    for client_id, zone in zones.items():
        by_zone[zone.key].append(client_id)
    condition = Q(pk__in=[])
    for key, ids in sorted(by_zone.items()):
        zone = ZoneInfo(key)
        part = Q(client_id__in=sorted(ids))
        if since is not None:
            part &= Q(created_at__gte=local_midnight(since, zone))
        if until is not None:
            part &= Q(created_at__lt=local_midnight(until + dt.timedelta(days=1), zone))
        condition |= part
    return condition


def events_url(
    *,
    client_ids: Iterable[int] = (),
    actions: Iterable[str] = (),
    actor_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> str:
    """The audit-events list filtered so: what a panel's number links to."""
    query: list[tuple[str, str]] = [("client", str(pk)) for pk in client_ids]
    query += [("action", action) for action in actions]
    if actor_id is not None:
        query.append(("actor", str(actor_id)))
    if since is not None:
        query.append(("since", since.isoformat()))
    if until is not None:
        query.append(("until", until.isoformat()))
    url = reverse("audit:events")
    return f"{url}?{urlencode(query)}" if query else url


@dataclass(frozen=True)
class EventFilters:
    clients: tuple[Client, ...]  # the viewer's clients the list covers (already scoped)
    actions: tuple[str, ...] = ()
    actor_id: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None


@dataclass(frozen=True)
class EventRow:
    event: AuditEvent  # with actor; `data` only through `details`
    at: dt.datetime  # in the client's time zone
    client_name: str
    actor_name: str
    details: tuple[tuple[str, str], ...]
    ticket_href: str = ""
    ticket_reference: str = ""
    customer_href: str = ""
    customer_number: str = ""
    actor_href: str = ""


@dataclass(frozen=True)
class EventsPage:
    rows: list[EventRow]
    older: int | None  # the `after` of the next (older) page
    newer: int | None  # the `before` of the previous (newer) page
    zones: dict[int, ZoneInfo] = field(default_factory=dict)


def _events(viewer: User, filters: EventFilters) -> QuerySet[AuditEvent]:
    zones = {client.pk: zone_of(client.time_zone) for client in filters.clients}
    # Scoped twice over: the filter's clients come from the viewer's, and the query is
    # bounded by the viewer's memberships whatever it was given.
    events = AuditEvent.objects.filter(client_id__in=client_ids_for(viewer)).filter(
        local_days(zones, filters.since, filters.until)
    )
    if filters.actions:
        events = events.filter(action__in=filters.actions)
    if filters.actor_id is not None:
        events = events.filter(actor_id=filters.actor_id)
    return events


def _details(data: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(data, dict):
        return ()
    return tuple(
        (str(label), str(data[key])[:80])
        for key, label in SHOWN_DATA.items()
        if isinstance(data.get(key), str | int) and not isinstance(data.get(key), bool)
    )


def events_page(
    *,
    viewer: User,
    filters: EventFilters,
    visible_staff: Iterable[int] = (),
    after: int | None = None,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> EventsPage:
    """One page of the viewer's clients' audit events, newest first: 3 queries (the
    events with their actors, the tickets and the customers they name), whatever the page
    holds."""
    events = _events(viewer, filters).select_related("actor")
    if before is not None:
        # Oldest first from the cursor up; the page shows the `limit` nearest, newest first.
        found = list(events.filter(pk__gt=before).order_by("pk")[: limit + 1])
        has_newer = len(found) > limit
        found = found[:limit][::-1]
        if not has_newer and len(found) < limit:
            return events_page(
                viewer=viewer, filters=filters, visible_staff=visible_staff, limit=limit
            )
        older = found[-1].pk if found else None
        newer = found[0].pk if has_newer else None
    else:
        if after is not None:
            events = events.filter(pk__lt=after)
        found = list(events.order_by("-pk")[: limit + 1])
        older = found[limit - 1].pk if len(found) > limit else None
        found = found[:limit]
        newer = found[0].pk if after is not None and found else None
    zones = {client.pk: zone_of(client.time_zone) for client in filters.clients}
    names = {client.pk: client.name for client in filters.clients}
    ticket_ids = {
        int(e.target_id)
        for e in found
        if e.target_type == TICKET_TARGET and e.target_id.isdigit() and len(e.target_id) < 19
    }
    references: dict[int, str] = {}
    if ticket_ids:
        references = {
            pk: reference or ""
            for pk, reference in Ticket.objects.filter(
                pk__in=ticket_ids, client_id__in=list(zones)
            ).values_list("pk", "reference")
        }
    customer_ids = {
        int(e.target_id)
        for e in found
        if e.target_type == CUSTOMER_TARGET and e.target_id.isdigit() and len(e.target_id) < 19
    }
    numbers: dict[int, str] = {}
    if customer_ids:
        numbers = dict(
            Customer.objects.filter(pk__in=customer_ids, client_id__in=list(zones)).values_list(
                "pk", "number"
            )
        )
    staff = set(visible_staff)
    rows = []
    for event in found:
        reference = (
            references.get(int(event.target_id), "")
            if event.target_type == TICKET_TARGET and event.target_id.isdigit()
            else ""
        )
        number = (
            numbers.get(int(event.target_id), "")
            if event.target_type == CUSTOMER_TARGET and event.target_id.isdigit()
            else ""
        )
        actor = event.actor
        rows.append(
            EventRow(
                event=event,
                at=event.created_at.astimezone(zones.get(event.client_id or 0, dt.UTC)),
                client_name=names.get(event.client_id or 0, ""),
                actor_name=staff_name_of(
                    username=actor.get_username(),
                    first_name=actor.first_name,
                    last_name=actor.last_name,
                )
                if actor is not None
                else event.actor_username,
                details=_details(event.data),
                ticket_reference=reference,
                ticket_href=reverse("audit:ticket_audit", args=[reference]) if reference else "",
                customer_href=reverse("audit:customer_history", args=[int(event.target_id)])
                if number
                else "",
                customer_number=number,
                actor_href=reverse("audit:staff_activity", args=[event.actor_id])
                if event.actor_id in staff
                else "",
            )
        )
    return EventsPage(rows=rows, older=older, newer=newer, zones=zones)
