"""How the desk names a staff member, everywhere: the full name, falling back to the
username. The ticket timeline, the history pages, the audit views, the approvals and the
verification panel all print staff through `staff_name` (templates: the `staff_name`
filter of `staff_tags`), so that one person never appears under two names."""

from typing import Any

from django.utils.translation import gettext as _


def staff_name_of(*, username: str, first_name: str = "", last_name: str = "") -> str:
    """The name from its parts (rows read as values, e.g. the history pages' SQL)."""
    full = f"{(first_name or '').strip()} {(last_name or '').strip()}".strip()
    return full or (username or "")


def staff_name(user: Any, *, nobody: str | None = None) -> str:
    """The staff member's full name, or their username; for no user, `nobody` (default
    "system": the desk itself made the change)."""
    if user is None or user == "":
        return _("system") if nobody is None else nobody
    if isinstance(user, str):  # already a name (a snapshot kept as text)
        return user
    return staff_name_of(
        username=user.get_username(),
        first_name=getattr(user, "first_name", ""),
        last_name=getattr(user, "last_name", ""),
    )
