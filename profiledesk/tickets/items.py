"""Writing a ticket's change items after it was opened: an edit, or a first capture on a
ticket that arrived without one (docs/design.md §3, issue 14).

`items_replace` makes the ticket's items be exactly the given drafts, in their order.
An item whose (section, field, target row) is asked for again is updated in place, so
that what hangs off it stays — a new e-mail's proof is `(item, value)`, so a changed
value is unproven again by itself —; a draft with no such item is a new item; an item
not asked for any more is deleted. Each write goes through `save()`/`delete()` so the
item's history names who changed it (an editor is a maker: approvals' `makers_of`).

The caller holds the ticket's row lock and decides what the edit means for the ticket
(approvals, risk, verification): this module writes items, nothing else.
"""

from collections.abc import Callable
from dataclasses import dataclass

from profiledesk.accounts.models import User

from .models import ChangeItem, Ticket
from .services import ItemDraft

# The columns an item takes from its draft.
_COLUMNS = ("label", "old_display", "new_value", "new_display", "is_secret")


@dataclass(frozen=True)
class ItemChange:
    """One line of an edit, in masked displays only (what the timeline and audit keep)."""

    label: str
    before: str  # the requested value before the edit ("" : the item is new)
    after: str  # the requested value after it ("" : the item was removed)


def _key(section: str, field: str, target_id: int | None) -> tuple[str, str, int | None]:
    return (section, field, target_id)


def items_replace(
    *,
    ticket: Ticket,
    drafts: list[ItemDraft],
    by: User | None,
    reason: str = "edited",
    before_removing: Callable[[list[ChangeItem]], object] | None = None,
) -> list[ItemChange]:
    """Make `ticket`'s items the `drafts`; return what changed (empty: nothing did).
    Call it inside a transaction holding the ticket's row lock. `before_removing` is
    called with the items about to be deleted, so that a step above can keep what hangs
    off them (tickets knows no step)."""
    current = list(ChangeItem.objects.filter(ticket_id=ticket.pk).order_by("position", "id"))
    by_key: dict[tuple[str, str, int | None], list[ChangeItem]] = {}
    for item in current:
        by_key.setdefault(_key(item.section, item.field, item.target_id), []).append(item)
    changes: list[ItemChange] = []
    kept: set[int] = set()
    for position, draft in enumerate(drafts):
        matches = by_key.get(_key(draft.section, draft.field, draft.target_id)) or []
        if not matches:
            item = ChangeItem(
                ticket=ticket, section=draft.section, field=draft.field, target_id=draft.target_id
            )
            changes.append(ItemChange(draft.label, "", draft.new_display))
        else:
            item = matches.pop(0)
            kept.add(item.pk)
            if item.new_value != draft.new_value:
                changes.append(ItemChange(draft.label, item.new_display, draft.new_display))
            elif all(getattr(item, name) == getattr(draft, name) for name in _COLUMNS) and (
                item.position == position
            ):
                continue  # as it was: no history row, no change
        for name in _COLUMNS:
            setattr(item, name, getattr(draft, name))
        item.position = position
        item._history_user = by  # type: ignore[attr-defined]
        item._change_reason = reason  # type: ignore[attr-defined]
        item.save()
    removed = [item for item in current if item.pk not in kept]
    if removed and before_removing is not None:
        before_removing(removed)
    for item in removed:
        changes.append(ItemChange(item.label, item.new_display, ""))
        item._history_user = by  # type: ignore[attr-defined]
        item._change_reason = reason  # type: ignore[attr-defined]
        item.delete()
    return changes
