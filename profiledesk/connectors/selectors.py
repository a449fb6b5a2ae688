"""Reading deliveries: per-system status for the ticket page, the supervisors' alert,
and whether every downstream system has acknowledged a ticket."""

import hashlib
from dataclasses import astuple, dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Q

from profiledesk.accounts.models import User
from profiledesk.tickets.models import State, Ticket

from .models import NOTIFICATION_TYPE, Connector, Delivery, Kind, Status

# A ticket has deliveries only once it is applied.
_STATES_WITH_DELIVERIES = {State.APPLIED, State.CLOSED, State.ROLLED_BACK}


def alert_after() -> int:
    """Consecutive failed attempts after which a failing system alerts supervisors."""
    return int(getattr(settings, "CONNECTOR_ALERT_AFTER", 3))


def ticket_deliveries(ticket: Ticket) -> list[Delivery]:
    """The ticket's deliveries with their connectors: one query, and none at all for a
    ticket that has not been applied (the ticket page's budget stays fixed)."""
    if ticket.state not in _STATES_WITH_DELIVERIES:
        return []
    # A customer's in-app confirmation shows with the confirmations, not among the
    # systems told of the change.
    return list(
        ticket.deliveries.exclude(event__type=NOTIFICATION_TYPE)
        .select_related("connector")
        .order_by("connector__name", "pk")
    )


def notification_connectors(*, client_id: int) -> list[Connector]:
    """The client's active communications systems: where a customer's in-app
    notifications go (whatever their categories and data scope)."""
    return list(
        Connector.objects.filter(
            client_id=client_id, kind=Kind.COMMUNICATIONS, is_active=True
        ).order_by("pk")
    )


def ticket_deliveries_done(*, ticket: Ticket) -> bool:
    """True when every downstream system has acknowledged the ticket's events."""
    return not Delivery.objects.filter(ticket=ticket).exclude(status=Status.DELIVERED).exists()


@dataclass(frozen=True)
class Alert:
    client: str
    connector: str
    kind: str
    gave_up: int
    failing: int


def troubled_connectors(*, staff: User) -> list[Alert]:
    """Connectors of the staff member's clients that keep failing: a delivery given up,
    or one failing for `alert_after()` attempts in a row. One query."""
    troubled = Q(status=Status.GAVE_UP) | Q(status=Status.FAILING, attempts__gte=alert_after())
    rows = (
        Delivery.objects.for_staff(staff)
        .filter(troubled)
        .values("client__name", "connector__name", "connector__kind")
        .annotate(
            gave_up=Count("pk", filter=Q(status=Status.GAVE_UP)),
            failing=Count("pk", filter=Q(status=Status.FAILING)),
        )
        .order_by("client__name", "connector__name")
    )
    return [
        Alert(
            client=r["client__name"],
            connector=r["connector__name"],
            kind=r["connector__kind"],
            gave_up=r["gave_up"],
            failing=r["failing"],
        )
        for r in rows
    ]


def troubled_deliveries(*, staff: User, limit: int = 20) -> list[Delivery]:
    """The most recent troubled deliveries of the staff member's clients, to retry."""
    troubled = Q(status=Status.GAVE_UP) | Q(status=Status.FAILING, attempts__gte=alert_after())
    return list(
        Delivery.objects.for_staff(staff)
        .filter(troubled)
        .select_related("connector", "ticket")
        .order_by("-created_at", "-pk")[:limit]
    )


def masked_event(event: dict[str, Any]) -> dict[str, Any]:
    """A delivery's body for the desk's own screens: every changed value replaced by
    "•••" (the receiving system gets them in clear; a desk admin does not need them).
    An encrypted payload is named, not shown; a thin event carries no value."""
    event = {k: v for k, v in event.items() if k != "_sealed"}  # ciphertext: noise
    if "data_jwe" in event:
        return {**event, "data_jwe": f"JWE, {len(str(event['data_jwe']))} characters"}
    data = event.get("data") or {}
    changes = [
        {**change, **{k: "•••" for k in ("old", "new") if change.get(k) is not None}}
        for change in data.get("changes", [])
    ]
    return {**event, "data": {**data, "changes": changes}}


def receiving_connectors(ticket: Ticket) -> list[str]:
    """Names of the client's active connectors that receive the ticket's category: empty
    means no downstream system will hear of the change, and the desk says so."""
    return [
        c.name
        for c in Connector.objects.filter(client_id=ticket.client_id, is_active=True).order_by(
            "name"
        )
        if c.receives(ticket.category)
    ]


def alerts_fingerprint(alerts: list[Alert], troubled: list[Delivery]) -> str:
    """What the alert banner shows, as a short digest: the same digest, the same banner."""
    shown = [
        *(astuple(alert) for alert in alerts),
        *((d.pk, d.status, d.last_error) for d in troubled),
    ]
    return hashlib.sha256(repr(shown).encode()).hexdigest()[:16]
