"""Files the desk receives and writes.

`sniff_type(content)` names an upload's type by what its bytes are (PDF, JPEG, PNG),
never by what the sender says; inbound e-mail attachments are kept only if it names one.
`private_file_response` serves a private file (avatar, identity document) to staff: type
by its bytes, inline only for a decoded picture, `nosniff`, `private, no-store`.
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
from django.http import HttpResponse
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


# What a browser may render inline when the desk serves a private file: pictures only
# (never SVG, HTML or anything a browser would run), named by their bytes.
INLINE_IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def sniff_image_type(content: bytes) -> str | None:
    """image/jpeg, image/png or image/webp when the bytes are that image (decoded by
    Pillow, not read off the name or a header), else None."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format
            image.verify()
    except Exception:  # Pillow raises many kinds on what is not an image
        return None
    return INLINE_IMAGE_TYPES.get(kind or "")


def private_file_response(
    content: bytes, *, filename: str, also_inline: frozenset[str] = frozenset()
) -> HttpResponse:
    """A private file (an avatar, an identity document) as the desk serves it: the type
    named by the bytes, inline only for a real picture (or a type in `also_inline` the
    caller decoded at upload, e.g. a PDF); anything else as an opaque download, so an SVG
    or HTML page saved as "x.png" never runs in the desk's origin. Never cached, never
    sniffed by the browser. `filename` must be the desk's own (ASCII, no quotes)."""
    content_type = sniff_image_type(content)
    if content_type is None and also_inline:
        sniffed = sniff_type(content)
        content_type = sniffed if sniffed in also_inline else None
    disposition = "inline" if content_type else "attachment"
    response = HttpResponse(content, content_type=content_type or "application/octet-stream")
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


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
