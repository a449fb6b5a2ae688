"""A read-only page about one ticket asks several rules (apply, submit, verify again, the
panels) the same questions: `page_memo(ticket)` lets the modules that answer them keep
their reads on that Ticket instance for the rest of the request (`memoized`).

Opt-in, for the page's own instance only: a service fetches its rows under the row lock
and computes afresh (a rule checked there must see what another person recorded a
moment ago), and the next request fetches a new instance, so nothing outlives a request.
"""

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

_ATTRIBUTE = "_page_reads"


def page_memo(ticket: Any) -> None:
    setattr(ticket, _ATTRIBUTE, {})


def memoized(ticket: Any, key: Hashable, read: Callable[[], T]) -> T:
    """`read()`, kept on `ticket` under `key` when its page asked for it (page_memo)."""
    memo: dict[Hashable, Any] | None = getattr(ticket, _ATTRIBUTE, None)
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]


def memo_active(ticket: Any) -> bool:
    return getattr(ticket, _ATTRIBUTE, None) is not None
