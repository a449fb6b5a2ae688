"""Files in private storage (the local disk or the object store) that no row references:
deleted once they are a day old.

The services that write these files delete them when their transaction fails
(profiledesk.files), but a process killed between writing a file and committing (a
worker timeout during a large inbound e-mail, say) leaves one behind that no retention
rule can ever reach. The sweep looks only in folders whose files belong to exactly one
model field; a file younger than ORPHAN_MIN_AGE may still be waiting for its commit.
"""

import datetime as dt
import logging
from collections.abc import Iterator

from django.core.files.storage import default_storage
from django.utils import timezone

from profiledesk.exports.models import Export
from profiledesk.tickets.models import Attachment, ChangeItem
from verification.models import DocumentCheck

logger = logging.getLogger(__name__)

ORPHAN_MIN_AGE = dt.timedelta(days=1)
ORPHAN_BATCH = 500
# (folder, model, field): the field names every file the desk keeps in that folder, and
# nothing else writes there. A pending avatar (intake.capture.avatar_store, written before
# its ticket's rows) is needed while a change item names it: once applied it is published
# to avatars/YYYY/MM/ (not swept: profile rows and their history name those), rejected or
# cancelled it is discarded; one no item names is a capture that rolled back.
SWEPT_FOLDERS = (
    ("avatars/pending", ChangeItem, "new_value"),
    ("tickets", Attachment, "file"),
    ("verification/documents", DocumentCheck, "file"),
    # An export whose worker died between writing the file and saving its row.
    ("exports", Export, "file"),
)


def _walk(storage, folder: str) -> Iterator[str]:
    # Listed, not tested with exists(): in an object store a folder is only a prefix of
    # names (no object, so exists() is False), and an empty one lists as nothing.
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # the local disk: no such folder yet
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _walk(storage, f"{folder}/{sub}")


def _batches(names: Iterator[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for name in names:
        batch.append(name)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def files_orphans_sweep(*, batch_size: int = ORPHAN_BATCH) -> int:
    """Delete unreferenced files older than ORPHAN_MIN_AGE in SWEPT_FOLDERS (one query
    per batch of names). Safe to run twice or alongside uploads. Returns how many."""
    storage = default_storage
    cutoff = timezone.now() - ORPHAN_MIN_AGE
    deleted = 0
    for folder, model, field in SWEPT_FOLDERS:
        for names in _batches(_walk(storage, folder), batch_size):
            referenced = set(
                model.objects.filter(**{f"{field}__in": names}).values_list(field, flat=True)
            )
            for name in names:
                if name in referenced:
                    continue
                try:
                    if storage.get_modified_time(name) >= cutoff:
                        continue
                except FileNotFoundError:  # deleted meanwhile (a purge, another sweep)
                    continue
                storage.delete(name)
                deleted += 1
    if deleted:  # a count only: file names may carry a customer's name
        logger.warning("Deleted %d orphaned file(s) from private storage", deleted)
    return deleted
