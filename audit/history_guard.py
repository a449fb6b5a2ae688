"""Tracked models are written only in ways django-simple-history sees (docs/design.md §7).

simple-history records a version on `save()` and `delete()` (its post_save / post_delete
receivers). `QuerySet.update()`, `bulk_create()` and `bulk_update()` send no signal, so a
change made with them leaves no history row: an auditor would see a value appear from
nowhere. This module turns that rule into an error: `install()` (the test suite does it
for every test) makes those three methods raise on a history-tracked model, unless the
call comes from a helper that writes the history rows itself (`ALLOWED_CALLERS`).

`QuerySet.delete()` is left alone on purpose: simple-history's post_delete receiver makes
Django's deletion collector fetch and signal every row (no fast delete), so a queryset
delete, and every cascade, records a "-" version for each row it removes
(`tests/audit/test_history_writes.py` proves it).

Historical models themselves are exempt: simple-history writes them in bulk.
"""

import ast
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from django.apps import apps
from django.db import models
from django.db.models.query import QuerySet

GUARDED = ("update", "bulk_create", "bulk_update")

# (module, function) of helpers that write the history rows of what they bulk-write.
ALLOWED_CALLERS = {
    ("simple_history.utils", "bulk_create_with_history"),
    ("simple_history.utils", "bulk_update_with_history"),
    # The demo seed: bulk insert, then history.bulk_history_create (see its docstring).
    ("profiledesk.demo.history", "create_with_history"),
}
_STACK_DEPTH = 12  # the allowed helpers call the queryset method within a few frames

_originals: dict[str, Callable] = {}


class UntrackedWriteError(AssertionError):
    """A tracked model was written in a way that leaves no history row."""


def is_tracked(model: type[models.Model]) -> bool:
    """Registered with simple-history (not one of its historical models)."""
    return hasattr(model._meta, "simple_history_manager_attribute")


def _called_from_allowed_helper() -> bool:
    frame: FrameType | None = sys._getframe(2)
    for _ in range(_STACK_DEPTH):
        if frame is None:
            return False
        if (frame.f_globals.get("__name__"), frame.f_code.co_name) in ALLOWED_CALLERS:
            return True
        frame = frame.f_back
    return False


def _where() -> str:
    """The first frame outside Django and this module: the offending line."""
    frame: FrameType | None = sys._getframe(2)
    django_dir = str(Path(models.__file__).parent.parent.parent)  # site-packages/django
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(django_dir) and filename != __file__:
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "?"


def _guarded(name: str) -> Callable:
    original = _originals[name]

    def method(self: QuerySet, *args, **kwargs):
        if is_tracked(self.model) and not _called_from_allowed_helper():
            helper = "save()" if name == "update" else f"simple_history.utils.{name}_with_history"
            raise UntrackedWriteError(
                f"{self.model._meta.label}.objects…{name}() at {_where()} writes a "
                f"history-tracked model without a history row; use {helper} (docs/design.md §7)."
            )
        return original(self, *args, **kwargs)

    method.__name__ = name
    method.__qualname__ = f"QuerySet.{name}"
    method.__doc__ = original.__doc__
    method.history_guarded = True  # type: ignore[attr-defined]
    return method


def install() -> None:
    if _originals:
        return
    for name in GUARDED:
        _originals[name] = getattr(QuerySet, name)
    for name in GUARDED:
        setattr(QuerySet, name, _guarded(name))


def uninstall() -> None:
    for name, original in _originals.items():
        setattr(QuerySet, name, original)
    _originals.clear()


def installed() -> bool:
    return bool(_originals)


# --- the same rule, read from the source ------------------------------------------------

APPEND_ONLY = {"AuditEvent": ("update", "bulk_update", "delete")}


def tracked_model_names() -> set[str]:
    return {model.__name__ for model in apps.get_models() if is_tracked(model)}


def untracked_writes(paths, *, tracked: set[str] | None = None) -> list[str]:
    """`file:line` of every `<TrackedModel>.objects…update()/bulk_create()/bulk_update()`
    (or `._default_manager…`) in the Python files under `paths`, and of every
    `AuditEvent.objects…update()/delete()`: the calls the runtime guard refuses, found
    before they run."""
    tracked = tracked_model_names() if tracked is None else tracked
    found = []
    for root in paths:
        root = Path(root)
        for path in sorted(root.rglob("*.py") if root.is_dir() else [root]):
            if "migrations" in path.parts:
                continue  # migrations use frozen models: simple-history does not see them
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                model = _manager_model(node.func.value)
                method = node.func.attr
                if (model in tracked and method in GUARDED) or method in APPEND_ONLY.get(
                    model or "", ()
                ):
                    found.append(f"{path}:{node.lineno}: {model}.objects…{method}()")
    return found


def _manager_model(node) -> str | None:
    """`Ticket` for `Ticket.objects.filter(…).select_for_update()`; None otherwise."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Attribute):
            if node.attr in ("objects", "_default_manager") and isinstance(node.value, ast.Name):
                return node.value.id
            node = node.value
        else:
            return None
