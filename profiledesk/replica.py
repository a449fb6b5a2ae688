"""Reads that may go to a PostgreSQL read replica (docs/operations.md, "Read replica").

When `DATABASE_REPLICA_URL` is set, settings add the `replica` alias and `ReplicaRouter`
sends to it the reads made inside `replica_reads()`: the history pages (their views are
wrapped by `reads_from_replica`), the rows an export writes into its file, and the
dashboards. Everything else, every write, and every read inside a transaction on the
primary (a `select_for_update`, an audit record reading the chain's last row, a read
after a write of the same unit of work) stays on the primary. Without the alias nothing
changes: the router answers nothing and Django uses `default`.

Why a router and a scope rather than `.using("replica")` in the selectors: the history
page reads through raw SQL, prefetches and related objects as well as querysets, and
every one of them asks the router; an explicit alias would have to be threaded through
each of them and would be forgotten in the next one. The scope selects a connection,
never a check: permissions and scoping read the same rows either way (a replication lag
of a second at most, which the metrics watch).
"""

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

REPLICA = "replica"
_reading: ContextVar[bool] = ContextVar("replica_reads", default=False)

_View = TypeVar("_View", bound=Callable[..., Any])


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside this block may be served by the replica (if one is configured)."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


# How long an export waits for the replica to replay what the primary had written.
CATCH_UP_SECONDS = 5.0


def _replica_has_replayed(position: str) -> bool:
    """Whether the replica has replayed the primary's WAL up to `position` (a server not
    in recovery is a primary itself, or the tests' mirror: current by definition)."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(
            "SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= %s::pg_lsn",
            [position],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def replica_caught_up(*, wait: float = CATCH_UP_SECONDS) -> bool:
    """Whether the replica now holds every row the primary had committed when asked,
    waiting up to `wait` seconds for it to replay them."""
    if not replica_configured():
        return False
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        position = str(cursor.fetchone()[0])
    deadline = time.monotonic() + wait
    while not _replica_has_replayed(position):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
    return True


def replica_reads_when_current(*, wait: float = CATCH_UP_SECONDS):
    """`replica_reads()` for work that must hold every committed row (an evidence export
    attested by its hash): the replica once it has replayed what the primary had
    committed, else the primary (a lagging replica would drop the latest rows silently)."""
    return replica_reads() if replica_caught_up(wait=wait) else nullcontext()


def reads_from_replica(view: _View) -> _View:
    """A read-only page: its GET and HEAD requests read from the replica."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        with replica_reads():
            return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class ReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if not replica_configured():
            return None
        # Outside the scope, and inside a transaction on the primary (whose reads see its
        # own writes and locks), the primary, said explicitly: answering None would let
        # Django send a related object's read or a `refresh_from_db` to the database the
        # instance was read from, the replica (tests/replica/test_router.py).
        if not _reading.get() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: an object read there is the same row.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # The replica is written by replication only.
        return False if db == REPLICA else None
