"""The queue's stamps (issue 20): may anything a queue list prints have changed?

A stamp is a random token in the cache (Redis), replaced — never incremented — whenever
something a queue row or the list prints may have changed:

- one a client (`client_key`): its tickets (every save, `ticket_touch`'s version bumps
  for items and steps included, deletes), its customers' number and legal name, its
  memberships (the reassign people, the assignee filter);
- one for the whole desk (`DESK`): clients (names, time zones, switched off), staff
  (names, active, their groups: who is on the floor), groups.

The background refresh's ETag is a keyed hash over the person's request (`queue_views`)
and the stamps of the clients they serve, so it is computed from one cache read with no
row read or rendered. Who may see which client is never taken from the cache: the client
ids are read from the database on every refresh (one indexed query), so a lost client is
a new list at once, whatever the cache holds.

Why it is never a wrong 304:

- **Bumped twice**: when the row is written, and again once its transaction commits. A
  reader between the two took the new stamp with the old rows; the second bump makes that
  list's ETag old. A rolled-back write only costs one extra render.
- **Read before the rows**: the list's view reads the stamps before it reads what it
  renders, so a stamp it sends always predates the rows it covers.
- **A missing stamp is a new token** (`add`, first writer wins): a flushed, restarted or
  evicting cache gives new ETags, never old ones.
- **The cache unreachable**: the reader falls back to the fingerprint (the page's rows
  read and compared), the writer logs; a bump lost that way (the cache unreachable for the
  writer but not for the readers) can leave a list as it was until its minute ends (the
  ETag names the minute), never longer and never another client's rows.
"""

import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Model

logger = logging.getLogger(__name__)

PREFIX = "tickets.queue.stamp"
DESK = f"{PREFIX}:desk"
# Long enough to outlive any list on screen; expired, a stamp is a new token (a render).
TIMEOUT = 24 * 3600


def client_key(client_id: int) -> str:
    return f"{PREFIX}:client:{client_id}"


def _token() -> str:
    return secrets.token_hex(16)


def _renew(keys: list[str]) -> None:
    try:
        cache.set_many({key: _token() for key in keys}, TIMEOUT)
    except Exception as error:  # any cache error: the write stands, the lists follow
        # A warning, not a traceback: the demo writes before its Redis is up, and an outage
        # would fill the log with one stack a write.
        logger.warning("queue stamps not renewed (%s): %s", type(error).__name__, keys)


def bump(*, client_ids: Iterable[int | None] = (), desk: bool = False) -> None:
    """Something the queue lists of these clients (or of everyone: `desk`) print may have
    changed: new stamps now and again once the current transaction commits."""
    keys = sorted({client_key(pk) for pk in client_ids if pk is not None})
    if desk:
        keys.append(DESK)
    if not keys:
        return
    _renew(keys)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _renew(keys), robust=True)


def stamps(*, client_ids: Sequence[int], create: bool) -> dict[str, str] | None:
    """The stamps of the desk and of `client_ids` (one cache read), or None when the cache
    cannot say (unreachable; a stamp missing and `create` off: the refresh's check, which
    must not mint a token no list was rendered with)."""
    keys = [DESK, *(client_key(pk) for pk in client_ids)]
    try:
        found: dict[str, Any] = cache.get_many(keys)
        missing = [key for key in keys if key not in found]
        if missing:
            if not create:
                return None
            for key in missing:
                cache.add(key, _token(), TIMEOUT)
            found.update(cache.get_many(missing))
    except Exception as error:
        logger.warning("queue stamps unreadable (%s)", type(error).__name__)
        return None
    if any(not isinstance(found.get(key), str) for key in keys):
        return None
    return {key: found[key] for key in keys}


# --- who bumps -----------------------------------------------------------------------------


def _skip(kwargs: dict[str, Any]) -> bool:
    return bool(kwargs.get("raw"))  # loaddata: fixtures, no desk is polling


def _ticket_written(sender: type[Model], instance: Any, **kwargs: Any) -> None:
    if _skip(kwargs):
        return
    client_id = instance.client_id
    if client_id is None and instance.pk is not None:
        # `ticket_touch` saves Ticket(pk=…) with the version alone: ask which client's.
        client_id = (
            sender._default_manager.filter(pk=instance.pk)
            .values_list("client_id", flat=True)
            .first()
        )
    bump(client_ids=[client_id], desk=client_id is None)


def _customer_written(sender: type, instance: Any, **kwargs: Any) -> None:
    if not _skip(kwargs):
        bump(client_ids=[instance.client_id])


def _personal_written(sender: type, instance: Any, **kwargs: Any) -> None:
    if _skip(kwargs):
        return
    from profiledesk.customers.models import Customer

    client_id = (
        Customer.objects.filter(pk=instance.customer_id).values_list("client_id", flat=True).first()
    )
    bump(client_ids=[client_id], desk=client_id is None)


def _membership_written(sender: type, instance: Any, **kwargs: Any) -> None:
    if not _skip(kwargs):
        bump(client_ids=[instance.client_id])


def _desk_written(sender: type, instance: Any, **kwargs: Any) -> None:
    if _skip(kwargs):
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # every sign-in saves last_login; no list prints it
    bump(desk=True)


def _groups_changed(sender: type, action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        bump(desk=True)


def connect() -> None:
    """Every write a queue list may print (TicketsConfig.ready)."""
    from django.contrib.auth.models import Group
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from profiledesk.accounts.models import User
    from profiledesk.clients.models import Client, Membership
    from profiledesk.customers.models import Customer, PersonalDetails

    from .models import Ticket

    receivers: list[tuple[type[Model], Callable[..., None]]] = [
        (Ticket, _ticket_written),
        (Customer, _customer_written),
        (PersonalDetails, _personal_written),
        (Membership, _membership_written),
        (Client, _desk_written),
        (User, _desk_written),
        (Group, _desk_written),
    ]
    for model, receiver in receivers:
        uid = f"queue-stamp:{model._meta.label}"
        post_save.connect(receiver, sender=model, dispatch_uid=uid, weak=False)
        post_delete.connect(receiver, sender=model, dispatch_uid=uid + ":delete", weak=False)
    m2m_changed.connect(
        _groups_changed, sender=User.groups.through, dispatch_uid="queue-stamp:groups", weak=False
    )
