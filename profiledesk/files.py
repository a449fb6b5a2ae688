"""Files the desk receives and writes.

`sniff_type(content)` names an upload's type by what its bytes are (PDF, JPEG, PNG),
never by what the sender says; inbound e-mail attachments are kept only if it names one.
Identity documents go further (`verification/documents.py` decodes them in full and
checks their size); avatars are checked by their form field (`intake/validators.py`).

Files written inside a transaction that rolls back must not stay on disk.
Django has no on-rollback hook. `deleted_on_failure()` wraps a service's transaction
(outside its `atomic` block, so that a failed COMMIT is seen too) and deletes the files
the block wrote if anything in it raises; the block appends each saved name to the list
it is given. Only the outermost block decides: a service called inside a caller's
transaction that the caller later rolls back is not seen, so callers keep these services
at the top of their transactions (the views and the webhook do).
"""

import contextlib
import io
import logging
from collections.abc import Iterator

from django.core.files.storage import default_storage
from PIL import Image

logger = logging.getLogger(__name__)

SNIFFED_TYPES = {"PDF": "application/pdf", "JPEG": "image/jpeg", "PNG": "image/png"}


def sniff_type(content: bytes) -> str | None:
    """The content type by what the bytes are, not what the sender says they are: PDF,
    JPEG or PNG, or None for anything else."""
    if content.startswith(b"%PDF-"):
        return SNIFFED_TYPES["PDF"]
    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format
            image.verify()
    except Exception:  # Pillow raises many kinds on what is not an image
        return None
    return SNIFFED_TYPES.get(kind) if kind in ("JPEG", "PNG") else None


@contextlib.contextmanager
def deleted_on_failure(storage=default_storage) -> Iterator[list[str]]:
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for name in written:
            try:
                storage.delete(name)
            except OSError as error:
                # The original error matters more. No name: it may hold a customer's
                # name (an attachment's); the daily sweep gets the file later.
                logger.warning(
                    "Could not delete a file after a rollback (%s)", type(error).__name__
                )
        raise
