"""Writes of notifications: one per owner and event, made idempotent by the table's
unique constraint (`bulk_create(ignore_conflicts=True)`: a second insert of the same
recipient, ticket, kind and key is dropped by the database, whichever process races)."""

import datetime as dt
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from profiledesk.accounts.models import User
from profiledesk.clients.models import Membership
from profiledesk.tickets.models import OPEN_STATES, Ticket

from .models import Kind, Notification
from .rules import kind_of_move, owner_id
from .selectors import badges_cache_key

logger = logging.getLogger(__name__)

BREACH_BATCH = 500


def _members(pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The (user id, client id) pairs that are active memberships now (one query): a
    staff member taken off a client is told nothing more of its tickets."""
    if not pairs:
        return set()
    users = {user for user, _ in pairs}
    clients = {client for _, client in pairs}
    found = Membership.objects.filter(
        user_id__in=users, client_id__in=clients, user__is_active=True, client__is_active=True
    ).values_list("user_id", "client_id")
    return set(found) & pairs


def _forget_badges(user_ids: set[int]) -> None:
    """The badges of these staff show their new counts at the next poll. With the cache
    unreachable (Redis down, or not started yet by the demo) the cached counts simply
    expire on their own (NOTIFICATIONS_BADGE_CACHE_SECONDS): nothing to fail over."""
    try:
        cache.delete_many([badges_cache_key(user_id) for user_id in user_ids])
    except Exception as error:  # the cache's backend errors have no common base class
        logger.warning("badge counts not refreshed at once: cache unavailable (%s)", error)


def _insert(rows: list[Notification]) -> None:
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    recipients = {row.recipient_id for row in rows}
    transaction.on_commit(lambda: _forget_badges(recipients))


def notification_for_move(
    *, ticket_id: int, event_id: int, source: str, target: str, actor_id: int | None
) -> Notification | None:
    """The notification a committed move gives the ticket's owner (rejected, approved,
    back from approval), unless the owner made the move; None when it gives none."""
    kind = kind_of_move(source=source, target=target)
    if kind is None:
        return None
    ticket = Ticket.objects.filter(pk=ticket_id).only("client_id", "assignee_id", "created_by_id")
    found = ticket.first()
    recipient = owner_id(found) if found is not None else None
    if found is None or recipient is None or recipient == actor_id:
        return None
    if not _members({(recipient, found.client_id)}):
        return None
    row = Notification(
        recipient_id=recipient,
        kind=kind,
        ticket_id=ticket_id,
        key=f"event:{event_id}",
        created_at=timezone.now(),
    )
    with transaction.atomic():
        _insert([row])
    return row


def _breach_window() -> dt.timedelta:
    return dt.timedelta(hours=float(getattr(settings, "NOTIFICATIONS_BREACH_LOOKBACK_HOURS", 24)))


def newly_breached(*, now: dt.datetime, limit: int = BREACH_BATCH) -> list[Ticket]:
    """Open tickets whose SLA is breached now (due within the look-back window and passed;
    a clock paused before the due time is not breached) with an owner, and no breach
    notification made since their current due time (a resumed clock moves the due time:
    breaching again is a new breach). One query on the open-due index."""
    told = Notification.objects.filter(
        ticket_id=OuterRef("pk"), kind=Kind.SLA_BREACHED, created_at__gte=OuterRef("sla_due_at")
    )
    # The owner (rules.owner_id) still serves the ticket's client.
    member = Membership.objects.filter(
        user_id=OuterRef("owner"),
        client_id=OuterRef("client_id"),
        user__is_active=True,
        client__is_active=True,
    )
    return list(
        Ticket.objects.filter(
            state__in=OPEN_STATES,
            sla_due_at__lte=now,
            sla_due_at__gt=now - _breach_window(),
        )
        .filter(Q(sla_paused_at__isnull=True) | Q(sla_paused_at__gte=F("sla_due_at")))
        .annotate(owner=Coalesce("assignee_id", "created_by_id"))
        .filter(Exists(member))
        .exclude(Exists(told))
        .only("client_id", "assignee_id", "created_by_id", "sla_due_at")
        .order_by("sla_due_at", "id")[:limit]
    )


def notifications_breached(*, now: dt.datetime | None = None) -> int:
    """Beat: one notification per newly breached ticket to its owner. Idempotent: run twice
    (or by two beats at once) it inserts each breach once. Returns the rows offered."""
    now = now or timezone.now()
    offered = 0
    while True:
        tickets = newly_breached(now=now)
        rows = [
            Notification(
                recipient_id=owner,
                kind=Kind.SLA_BREACHED,
                ticket_id=t.pk,
                key=f"due:{t.sla_due_at.isoformat()}",
                created_at=now,
            )
            for t in tickets
            if (owner := owner_id(t)) is not None  # the query asked for an owner
        ]
        with transaction.atomic():
            _insert(rows)
        offered += len(rows)
        if len(tickets) < BREACH_BATCH:
            break
    if offered:
        logger.info("notifications: %d SLA breach(es) told", offered)
    return offered


def notification_mark_read(*, notification: Notification, by: User) -> None:
    """Mark one of `by`'s own notifications read (the access helper fetched it)."""
    if notification.recipient_id != by.pk:
        raise PermissionError("not the recipient")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    _forget_badges({by.pk})


def notifications_mark_all_read(*, by: User) -> int:
    """Mark every unread notification of `by` read; returns how many."""
    count = Notification.objects.filter(recipient_id=by.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    _forget_badges({by.pk})
    return count
