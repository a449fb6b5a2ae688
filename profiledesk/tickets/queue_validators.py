"""The queue list's validators (issue 20): may the background refresh answer 304?

A list's ETag holds one or two validators, joined by a dot; either one equal means the
list on screen is still right:

- "s…", the **stamps** (`queue_stamps`): who asks, how it is printed, the minute, and the
  stamps of the desk and of their clients. Equal, nothing the list prints was written
  since: a 304 from one cache read and one query (`queue_access`).
- "f…", the **printed rows**: who asks and how it is printed, and a digest of what the
  list prints — its rows' raw values (`queue_fingerprint`), their SLA bands, the clients'
  names and the floor's people. After a write somewhere in the client (on a busy floor,
  most polls) the rows decide.

The rows' digest is the same for everyone who sees the same clients through the same
URL, so the first refresh after a write stores it in the cache under the stamps it read
*before* the rows (`rows_key`): the other agents' refreshes of that list find it there
instead of reading the rows again. A digest is never shown to anyone, only hashed with the
asker's own parts; who may see what is still read from the database on every request.
"""

import datetime as dt
import hashlib
import logging

from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.http import parse_etags

from profiledesk.clients.models import Client, Membership

from .queue_clock import printed_bands
from .selectors import AssigneeFilter, QueueAccess, QueueFingerprint

logger = logging.getLogger(__name__)

# A list's rows under a set of stamps, as of a minute: no use after it.
ROWS_TIMEOUT = 120


def sent(request: HttpRequest) -> dict[str, str]:
    """{validator: the ETag it came in} for every part of every ETag the browser sent."""
    found: dict[str, str] = {}
    for tag in parse_etags(request.headers.get("If-None-Match", "")):
        for part in tag.strip('"').split("."):
            if part:
                found.setdefault(part, tag)
    return found


def bare(etag: str) -> str:
    return etag.strip('"')


def combined(stamped: str, printed: str) -> str:
    return f'"{bare(stamped)}.{bare(printed)}"' if stamped else printed


def _asker(request: HttpRequest) -> tuple[object, ...]:
    """Who asks and how the list is printed for them: the URL with its filters and
    cursor, the user, the session and CSRF secret (the forms' tokens), language and time
    zone."""
    session = getattr(request, "session", None)
    return (
        request.get_full_path(),
        getattr(request.user, "pk", None),
        session.session_key if session is not None else None,
        request.META.get("CSRF_COOKIE", ""),
        translation.get_language(),
        timezone.get_current_timezone_name(),
    )


def stamped_etag(
    request: HttpRequest, *, access: QueueAccess, stamps: dict[str, str], as_of: dt.datetime
) -> str:
    """The "s" validator: who asks, what they may do and see (`access`, read fresh), the
    minute the list is "as of" and the stamps renewed by every write the list prints.
    Another namespace than the "f" validator's: the two never match each other."""
    parts = (*_asker(request), access, as_of.isoformat(), sorted(stamps.items()))
    return f'"s{salted_hmac("tickets.queue.stamped-etag", repr(parts)).hexdigest()}"'


def rows_digest(
    *,
    fingerprint: QueueFingerprint,
    clients: list[Client],
    people: list[Membership],
    as_of: dt.datetime,
) -> str:
    """What the list prints that is the same for everyone who sees it: the rows' raw
    values and their SLA bands as of the minute (not their SLA and age texts: the browser
    moves those on, queue_clock.py), the clients' names and the floor's people."""
    parts = (
        [(client.pk, client.name) for client in clients],
        [(m.client_id, m.user.username, m.user.get_full_name()) for m in people],
        printed_bands(fingerprint.rows, as_of),
        fingerprint,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def printed_etag(request: HttpRequest, *, access: QueueAccess, digest: str) -> str:
    """The "f" validator: who asks, what they may do (claim, reassign: the list's
    buttons) and the digest of what the list prints. Keyed with the SECRET_KEY, so the
    ETag tells nobody anything."""
    parts = (*_asker(request), access.work, access.reassign, digest)
    return f'"f{salted_hmac("tickets.queue.etag", repr(parts)).hexdigest()}"'


def rows_key(
    request: HttpRequest,
    *,
    access: QueueAccess,
    stamps: dict[str, str],
    as_of: dt.datetime,
    with_people: bool,
) -> str:
    """Where a list's rows digest is kept: the same for the same clients, URL (filters,
    sort, cursor), minute, stamps and people shown; "assigned to me" names the user. The
    language and time zone too: the URL's dates are read in the language's input formats
    ("01/02/2026" is 2 January in English, 1 February in Spanish)."""
    me = request.GET.get("assignee") == AssigneeFilter.ME
    parts = (
        request.get_full_path(),
        translation.get_language(),
        timezone.get_current_timezone_name(),
        access.client_ids,
        as_of.isoformat(),
        sorted(stamps.items()),
        with_people,
        getattr(request.user, "pk", None) if me else None,
    )
    return "tickets.queue.rows:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def known_digest(key: str) -> str | None:
    try:
        return cache.get(key)
    except Exception as error:  # the cache unreachable: the rows are read instead
        logger.warning("queue rows digest not read: %s", error.__class__.__name__)
        return None


def keep_digest(key: str, digest: str) -> None:
    try:
        cache.set(key, digest, ROWS_TIMEOUT)
    except Exception as error:
        logger.warning("queue rows digest not kept: %s", error.__class__.__name__)
