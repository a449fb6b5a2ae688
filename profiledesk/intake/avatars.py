"""The files of captured avatars, from capture to moderation (docs/design.md §2, §5).

A captured avatar waits in `avatars/pending/YYYY/MM/<32 hex>.<ext>` (written by
`capture.avatar_store` before the ticket's rows, re-encoded, no EXIF; one that no change
item names is deleted by the daily sweep, privacy/orphans.py). Applying an approved
avatar ticket publishes it to `avatars/YYYY/MM/<same name>` (the profile's own folder)
and removes the pending copy; a ticket that ends without being applied (rejected,
cancelled) discards it.

Names are read from change items and profile rows, which a hostile import or a bug could
fill with anything ("../../settings.py", "/etc/passwd", "avatars/x.svg"): every name is
checked against the exact shape the desk writes before any file is opened or deleted.
"""

import functools
import logging
import re

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

logger = logging.getLogger(__name__)

_TAIL = r"(?P<year>\d{4})/(?P<month>\d{2})/(?P<token>[0-9a-f]{32})\.(?P<ext>png|jpg|webp)"
PENDING_NAME = re.compile(rf"avatars/pending/{_TAIL}")
PUBLISHED_NAME = re.compile(rf"avatars/{_TAIL}")


def is_pending_name(name: object) -> bool:
    return isinstance(name, str) and PENDING_NAME.fullmatch(name) is not None


def published_name(pending: str) -> str:
    """Where the pending avatar `pending` lives once applied; ValueError for a name the
    desk did not write."""
    match = PENDING_NAME.fullmatch(pending) if isinstance(pending, str) else None
    if match is None:
        raise ValueError("not a pending avatar name")
    return f"avatars/{match['year']}/{match['month']}/{match['token']}.{match['ext']}"


def avatar_file_of(name: object) -> str | None:
    """The stored file that holds the avatar a change item names: the pending copy, or
    its published copy once applied; None when neither is kept (rejected, never written)
    or the name is not one the desk writes (path traversal, a foreign file)."""
    if not isinstance(name, str) or not is_pending_name(name):
        return None
    for candidate in (name, published_name(name)):
        if default_storage.exists(candidate):
            return candidate
    return None


def avatar_publish(*, pending: str, written: list[str]) -> str:
    """Copy the pending avatar to its published name, inside the caller's transaction
    (the caller deletes the names in `written` if it fails: profiledesk.files
    deleted_on_failure); the pending copy is removed once the transaction commits.
    FileNotFoundError when the pending file is not kept."""
    final = published_name(pending)
    with default_storage.open(pending, "rb") as source:
        content = source.read()
    if not default_storage.exists(final):  # applied once already: the copy is there
        saved = default_storage.save(final, ContentFile(content))
        written.append(saved)
        if saved != final:  # storage chose another name: use the one it wrote
            final = saved
    transaction.on_commit(lambda: _delete(pending), robust=True)
    return final


def avatars_discard(names: list[str]) -> int:
    """Delete the pending avatars named, once the caller's transaction commits (a ticket
    rejected or cancelled). Names the desk did not write are left alone. Returns how many
    were scheduled."""
    pending = [name for name in names if is_pending_name(name)]
    for name in pending:
        transaction.on_commit(functools.partial(_delete, name), robust=True)
    return len(pending)


def _delete(name: str) -> None:
    try:
        default_storage.delete(name)
    except OSError as error:  # the file stays; no name in the log (it is harmless here)
        logger.warning("Could not delete a pending avatar (%s)", type(error).__name__)
