"""Rows written with their history: the import, then the changes staff made since.

A profile is inserted as it was when the client's customers were imported (one "+"
history row each, by the client's desk admin, "seed: initial import"); then each past
change is applied the way the desk applies one — the live row takes the new values and
a "~" history row records who changed it, when, and under which ticket. Both steps
are simple-history's own bulk helpers, so the history looks like the desk's.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import models
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from profiledesk.accounts.models import User

IMPORT_REASON = "seed: initial import"


@dataclass
class Change:
    """A past change of one row: `obj` holds the old values until it is applied."""

    obj: models.Model
    new: dict[str, Any]
    at: dt.datetime
    by: User
    reason: str


def stamp(obj: models.Model, *, at: dt.datetime, by: User, reason: str) -> None:
    """What simple-history's bulk helpers put on this object's next history row."""
    obj._history_date = at  # type: ignore[attr-defined]
    obj._history_user = by  # type: ignore[attr-defined]
    obj._change_reason = reason  # type: ignore[attr-defined]


def create_with_history(model: type[models.Model], objs: list[models.Model], batch_size: int):
    """Insert `objs` (each already stamped) and their "+" history rows."""
    if objs:
        bulk_create_with_history(objs, model, batch_size=batch_size)


def apply_changes(changes: list[Change], batch_size: int) -> int:
    """Apply past changes, a bulk update and its "~" history rows per model."""
    by_model: dict[type[models.Model], list[Change]] = defaultdict(list)
    for change in changes:
        by_model[type(change.obj)].append(change)
    for model, model_changes in by_model.items():
        fields: dict[str, None] = {}
        for change in model_changes:
            for name, value in change.new.items():
                setattr(change.obj, name, value)
            fields.update(dict.fromkeys(change.new))
            stamp(change.obj, at=change.at, by=change.by, reason=change.reason)
        bulk_update_with_history(
            [change.obj for change in model_changes], model, list(fields), batch_size=batch_size
        )
    return len(changes)
