"""Reads of straight-through processing: the switch, the API key a ticket came with, and
the passes no agent recorded."""

import datetime as dt

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from audit.models import AuditEvent
from profiledesk.assertions.models import AppKey
from profiledesk.assertions.services import METHOD_CODE as ASSERTION
from profiledesk.tickets.models import Channel, State, Ticket, TicketEvent
from verification.models import Attempt, Purpose, Result
from verification.status import validity

from .models import AutomationSwitch, StraightThroughTry

# Recorded by the API when it opens a ticket (api.services.change_request_submit): which
# key sent it. Read from the audit log, which outlives the idempotency record, and which
# sits below this app (the API sits above it).
API_RECEIVED = "api.change_request_received"
# Recorded by api.keys.api_key_revoke, with the key's prefix (the audit log is below us).
API_KEY_REVOKED = "api_key.revoked"


def automation_enabled(*, client_id: int, category: str) -> bool:
    """Whether the client switched automation on for the category (no row: off). One query."""
    return AutomationSwitch.objects.filter(
        client_id=client_id, category=category, enabled=True
    ).exists()


def api_key_name(ticket: Ticket) -> str | None:
    """The name of the API key that sent the ticket, or None when no key did (the desk,
    the portal, inbound e-mail). One query."""
    data = _api_received(ticket)
    if data is None:
        return None
    return str(data.get("key_name") or data.get("api_key") or "?")


def api_key_revoked(ticket: Ticket) -> bool:
    """Whether the API key that sent the ticket has been revoked since (a client that
    finds its key leaked revokes it: what it sent and is still waiting applies nothing).
    A ticket whose key cannot be named counts as revoked. Two queries."""
    data = _api_received(ticket)
    prefix = data.get("api_key") if data is not None else None
    if not prefix:
        return True
    return AuditEvent.objects.filter(
        action=API_KEY_REVOKED, client_id=ticket.client_id, data__prefix=prefix
    ).exists()


def revoked_signing_keys(ticket: Ticket, passes: list[Attempt]) -> list[str]:
    """The kids of the client app signing keys, among those that signed `passes`, that
    are no longer usable (revoked or switched off). One query when an assertion is among
    them, none otherwise."""
    signed = {
        (str(attempt.detail.get("iss", "")), str(attempt.detail.get("kid", "")))
        for attempt in passes
        if attempt.method == ASSERTION and isinstance(attempt.detail, dict)
    }
    if not signed:
        return []
    usable = set(
        AppKey.objects.usable()
        .filter(client_id=ticket.client_id, kid__in={kid for _iss, kid in signed})
        .values_list("issuer", "kid")
    )
    return sorted(kid for iss, kid in signed if (iss, kid) not in usable)


def person_touched(ticket: Ticket) -> bool:
    """Whether a staff member did anything on the ticket's timeline (claimed, edited,
    noted, moved it): the evidence vouched for what the app sent, not for their work."""
    return TicketEvent.objects.filter(ticket_id=ticket.pk, actor__isnull=False).exists()


def _api_received(ticket: Ticket) -> dict[str, object] | None:
    data: dict[str, object] | None = (
        AuditEvent.objects.filter(
            action=API_RECEIVED,
            client_id=ticket.client_id,
            target_type="tickets.ticket",
            target_id=str(ticket.pk),
        )
        .order_by("id")
        .values_list("data", flat=True)
        .first()
    )
    return data


def identity_passes(ticket: Ticket, now: dt.datetime | None = None) -> list[Attempt]:
    """The ticket's identity passes still valid now, oldest first (one query)."""
    now = now or timezone.now()
    return list(
        Attempt.objects.filter(
            ticket_id=ticket.pk,
            purpose=Purpose.IDENTITY,
            result=Result.PASSED,
            at__gt=now - validity(),
            at__lte=now,
        ).order_by("at", "id")
    )


def already_tried(*, ticket_id: int, attempt_id: int) -> bool:
    return StraightThroughTry.objects.filter(ticket_id=ticket_id, attempt_id=attempt_id).exists()


def automatic_applies(
    *, client_id: int, start: dt.datetime, end: dt.datetime
) -> QuerySet[StraightThroughTry, tuple[dt.datetime, str]]:
    """(at, category) of the client's tickets applied automatically in [start, end), for
    the dashboards' daily figures."""
    return (
        StraightThroughTry.objects.filter(
            client_id=client_id,
            outcome=StraightThroughTry.Outcome.APPLIED,
            at__gte=start,
            at__lt=end,
        )
        .order_by()
        .values_list("at", "ticket__category")
    )


# A pass is left to its signal this long before the sweep queues its try itself.
SWEEP_GRACE = dt.timedelta(minutes=1)


def untried_passes(*, now: dt.datetime | None = None, limit: int = 500) -> list[tuple[int, int]]:
    """(ticket id, attempt id) of valid passes recorded without an agent on waiting app or
    API tickets whose client switched automation on, that no try has seen: the signal
    was lost (the broker was down when it came). One query."""
    now = now or timezone.now()
    switched_on = AutomationSwitch.objects.filter(
        client_id=OuterRef("ticket__client_id"), category=OuterRef("ticket__category"), enabled=True
    )
    tried = StraightThroughTry.objects.filter(attempt_id=OuterRef("pk"))
    rows = (
        Attempt.objects.filter(
            purpose=Purpose.IDENTITY,
            result=Result.PASSED,
            staff__isnull=True,
            at__gt=now - validity(),
            at__lte=now - SWEEP_GRACE,
            ticket__state__in=(State.NEW, State.VERIFYING),
            ticket__channel__in=(Channel.API, Channel.APP),
        )
        .filter(Exists(switched_on))
        .exclude(Exists(tried))
        .order_by("at")
        .values_list("ticket_id", "pk")[:limit]
    )
    return list(rows)
