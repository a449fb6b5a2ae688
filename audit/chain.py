"""The audit chain: every row must follow from the one before it (`verify_audit` walks it).

Not identity verification (the `verification` app): this checks the audit log itself.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from .models import AuditEvent
from .services import GENESIS_HASH, chained_fields, event_hash


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    why: str


def chain_first_break(events: Iterable[AuditEvent] | None = None) -> ChainBreak | None:
    """The first row that does not follow from the one before it, or None if all do.

    A changed row no longer matches its own hash; a removed or inserted row breaks the
    link from its successor's `prev_hash`.
    """
    rows = events if events is not None else AuditEvent.objects.order_by("id").iterator(2000)
    previous = GENESIS_HASH
    for event in rows:
        if event.prev_hash != previous:
            return ChainBreak(
                event.pk, "does not link to the row before it (a row is missing or was inserted)"
            )
        if event_hash(prev_hash=event.prev_hash, fields=chained_fields(event)) != event.hash:
            return ChainBreak(event.pk, "its content no longer matches its hash (changed)")
        previous = event.hash
    return None
