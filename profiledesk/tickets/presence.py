"""Who has a ticket open (docs/design.md §10: "a notice when another staff member is
working on the same ticket"), kept in Redis with a time to live.

Each open ticket page says "I am here" on every poll (`presence_beat`): one sorted set per
ticket, member = staff id, score = when last seen. One pipeline a poll: ZADD, drop members
not seen for PRESENCE_SECONDS, read the rest, EXPIRE the key — so a ticket nobody has open
costs nothing after PRESENCE_SECONDS, and a closed browser drops out by itself.

Only ids are stored (never names, never the customer): the page names the viewers from
its own query of staff who share the ticket's client. Redis down: presence is empty and
logged, the page works on (presence is a courtesy, the claim is the rule).
"""

import logging
import time

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)


def presence_seconds() -> int:
    """How long a viewer stays listed after their last poll (read when used)."""
    return int(getattr(settings, "TICKET_PRESENCE_SECONDS", 20))


def _key(ticket_id: int) -> str:
    return caches["default"].make_key(f"ticket-presence:{ticket_id}")


def _redis_client(key: str):
    """The raw Redis client of the default cache, or None for another backend."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return backend._cache.get_client(key, write=True)
    return None


def presence_beat(*, ticket_id: int, user_id: int) -> dict[int, float]:
    """Record that `user_id` has ticket `ticket_id` open now; return {staff id: last seen
    (Unix seconds)} of everyone who has it open, `user_id` included."""
    now = time.time()
    ttl = presence_seconds()
    try:
        client = _redis_client(_key(ticket_id))
        if client is not None:
            return _redis_beat(client, ticket_id, user_id, now, ttl)
        return _cache_beat(ticket_id, user_id, now, ttl)
    except Exception:  # a presence outage must not take the ticket page down
        logger.warning("ticket presence unavailable", exc_info=True)
        return {user_id: now}


def presence_leave(*, ticket_id: int, user_id: int) -> None:
    """The page was closed (best effort; the TTL drops it anyway)."""
    key = _key(ticket_id)
    try:
        client = _redis_client(key)
        if client is not None:
            client.zrem(key, str(user_id))
        else:
            backend = caches["default"]
            seen = backend.get(key) or {}
            seen.pop(user_id, None)
            backend.set(key, seen, presence_seconds())
    except Exception:
        logger.warning("ticket presence unavailable", exc_info=True)


def _redis_beat(client, ticket_id: int, user_id: int, now: float, ttl: int) -> dict[int, float]:
    key = _key(ticket_id)
    pipe = client.pipeline(transaction=True)
    pipe.zadd(key, {str(user_id): now})
    pipe.zremrangebyscore(key, "-inf", now - ttl)
    pipe.zrange(key, 0, -1, withscores=True)
    pipe.expire(key, ttl)
    _, _, members, _ = pipe.execute()
    return {int(member): score for member, score in members}


def _cache_beat(ticket_id: int, user_id: int, now: float, ttl: int) -> dict[int, float]:
    # Another cache (tests, a single process): the same data as one value; two beats at
    # once may drop one viewer until their next poll.
    key, backend = _key(ticket_id), caches["default"]
    seen = {uid: at for uid, at in (backend.get(key) or {}).items() if at > now - ttl}
    seen[user_id] = now
    backend.set(key, seen, ttl)
    return seen
