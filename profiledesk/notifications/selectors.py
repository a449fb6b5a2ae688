"""Reads of notifications: the navigation's badges and the list page.

`badges_for(user)` is what the badge poll answers: each count only for the role that acts
on it, all scoped to the staff member's clients (`clients.scoping.client_ids_for`, read
once), each capped at `BADGE_CAP` + 1 rows so a count costs the same at a million
tickets. Uncached: one query for the client ids, then one per badge the role has
(approvals — supervisors and compliance —, escalations — security —, failing systems —
supervisors —, exports ready — compliance —, unread notifications — everyone who works
tickets). `badges_cached` keeps the answer per user for `NOTIFICATIONS_BADGE_CACHE_SECONDS`.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from profiledesk.accounts.models import User
from profiledesk.accounts.roles import Role, roles_of
from profiledesk.approvals.selectors import approvals_waiting_count, tiers_of
from profiledesk.clients.scoping import client_ids_for
from profiledesk.connectors.selectors import troubled_connectors
from profiledesk.exports.access import can_export
from profiledesk.exports.selectors import exports_ready_count
from profiledesk.security.selectors import security_tickets

from .models import Notification

# A count above this shows as "99+": a badge asks the database for at most this many + 1.
BADGE_CAP = 99
PAGE_SIZE = 25

APPROVALS = "approvals"
ESCALATIONS = "escalations"
CONNECTORS = "connectors"
EXPORTS = "exports"
UNREAD = "notifications"


def badges_cache_key(user_id: int) -> str:
    return f"notifications:badges:{user_id}"


def _capped(count: int) -> int:
    return min(count, BADGE_CAP + 1)


def badges_for(*, user: User, now: dt.datetime | None = None) -> dict[str, int]:
    """{badge: count} for the badges `user`'s roles act on (a badge of another role is not
    in the answer at all). Counts above BADGE_CAP are BADGE_CAP + 1."""
    now = now or timezone.now()
    badges: dict[str, int] = {}
    if not user.has_perm("tickets.view_ticket"):
        return badges
    client_ids = list(client_ids_for(user).values_list("client_id", flat=True))
    if tiers_of(user):
        badges[APPROVALS] = approvals_waiting_count(
            staff=user, client_ids=client_ids, cap=BADGE_CAP + 1
        )
    if Role.SECURITY in roles_of(user):
        waiting = security_tickets(client_ids=client_ids).order_by()
        badges[ESCALATIONS] = waiting[: BADGE_CAP + 1].count()
    if user.has_perm("connectors.retry_delivery"):
        badges[CONNECTORS] = _capped(len(troubled_connectors(staff=user)))
    if can_export(user):
        badges[EXPORTS] = exports_ready_count(
            staff=user, client_ids=client_ids, now=now, cap=BADGE_CAP + 1
        )
    unread = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
    badges[UNREAD] = unread.order_by()[: BADGE_CAP + 1].count()
    return badges


def badges_cached(*, user: User) -> dict[str, int]:
    """badges_for, kept per user for a few seconds: several tabs of one staff member, or
    many polls at once, cost one computation per period."""
    key = badges_cache_key(user.pk)
    found = cache.get(key)
    if isinstance(found, dict):
        return found
    badges = badges_for(user=user)
    cache.set(key, badges, getattr(settings, "NOTIFICATIONS_BADGE_CACHE_SECONDS", 10))
    return badges


@dataclass
class NotificationPage:
    rows: list[Notification] = field(default_factory=list)
    next_after: int | None = None  # the id of the last row, if older ones follow


def notifications_page(
    *, user: User, after: int | None = None, size: int = PAGE_SIZE
) -> NotificationPage:
    """`user`'s own notifications, newest first, a keyset page on id (one query; the
    ticket joined for its reference)."""
    rows = Notification.objects.filter(recipient_id=user.pk).select_related("ticket")
    if after is not None:
        rows = rows.filter(pk__lt=after)
    page = list(rows.order_by("-id")[: size + 1])
    more = len(page) > size
    page = page[:size]
    return NotificationPage(rows=page, next_after=page[-1].pk if more else None)
