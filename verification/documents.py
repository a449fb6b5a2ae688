"""What makes an upload an identity document (issue 11): it must decode, and be big enough
to be a photograph or scan of one. A 1-pixel PNG with every checklist box ticked reached
AL3 once; now the bytes are decoded by well-kept libraries (Pillow for JPEG and PNG, pypdf
for PDF; no parser of our own) before anything is stored.

The minimums (settings, so that a client with other documents can change them):

- at least `VERIFICATION_DOCUMENT_MIN_BYTES` (10 KB);
- an image at least `VERIFICATION_DOCUMENT_MIN_PIXELS` (600 x 400 px, either
  orientation): a phone photo of an ID-1 card (85.6 x 54 mm) at a readable ~180 dpi;
- a PDF not encrypted, with at least one page, whose first page is at least
  `VERIFICATION_DOCUMENT_MIN_PDF_POINTS` (200 x 120 pt, either orientation; an ID-1 card
  is 243 x 153 pt);
- an image of more pixels than Pillow's `Image.MAX_IMAGE_PIXELS` is a decompression bomb
  and is refused before it is decoded.

`document_decode(content)` returns what was found, or raises `DocumentInvalid` with a
message for the upload field; nothing is written either way.
"""

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader

PDF = "application/pdf"
OPENERS = ("JPEG", "PNG")
# Pillow names a camera's multi-picture JPEG "MPO"; it is still a JPEG file.
IMAGE_TYPES = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png"}


class DocumentInvalid(Exception):
    """The upload is not a usable identity document; the message is safe to show."""


@dataclass(frozen=True)
class Decoded:
    content_type: str
    width: int  # pixels of an image, points of a PDF's first page
    height: int
    sha256: str


def minimums() -> dict:
    """The limits as the wizard's help text states them."""
    pixels = settings.VERIFICATION_DOCUMENT_MIN_PIXELS
    points = settings.VERIFICATION_DOCUMENT_MIN_PDF_POINTS
    return {
        "bytes": filesizeformat(settings.VERIFICATION_DOCUMENT_MIN_BYTES),
        "px_w": pixels[0],
        "px_h": pixels[1],
        "pt_w": points[0],
        "pt_h": points[1],
    }


def document_decode(content: bytes) -> Decoded:
    if len(content) < settings.VERIFICATION_DOCUMENT_MIN_BYTES:
        raise DocumentInvalid(
            _(
                "The file is too small to be a photo or scan of an identity document "
                "(at least %(bytes)s)."
            )
            % minimums()
        )
    if content.startswith(b"%PDF-"):
        content_type, width, height = _pdf(content)
        limit = settings.VERIFICATION_DOCUMENT_MIN_PDF_POINTS
        unit = "pt"
    else:
        content_type, width, height = _image(content)
        limit = settings.VERIFICATION_DOCUMENT_MIN_PIXELS
        unit = "px"
    # Either orientation: the long side against the long minimum, the short against the short.
    if max(width, height) < max(limit) or min(width, height) < min(limit):
        raise DocumentInvalid(
            _(
                "The document is %(width)d x %(height)d %(unit)s; an identity document must be "
                "at least %(min_w)d x %(min_h)d %(unit)s to be read. Take a sharper photo or scan."
            )
            % {
                "width": width,
                "height": height,
                "unit": unit,
                "min_w": max(limit),
                "min_h": min(limit),
            }
        )
    return Decoded(content_type, width, height, hashlib.sha256(content).hexdigest())


def _image(content: bytes) -> tuple[str, int, int]:
    not_a_type = DocumentInvalid(_("The document must be a PDF, JPEG or PNG file."))
    try:
        # verify() checks the structure without decoding; a verified image must be
        # opened again to decode it, and load() decodes every pixel (a truncated or
        # corrupt body fails here, not later in the approver's browser).
        with Image.open(io.BytesIO(content), formats=OPENERS) as image:
            kind = image.format
            _refuse_bomb(image.size)
            image.verify()
        with Image.open(io.BytesIO(content), formats=OPENERS) as image:
            image.load()
            width, height = image.size
    except DocumentInvalid:
        raise
    except Image.DecompressionBombError:
        raise _bomb() from None
    except UnidentifiedImageError:
        raise not_a_type from None
    except Exception:  # Pillow raises many kinds on hostile bytes
        raise DocumentInvalid(
            _("The file is not a readable PDF, JPEG or PNG image (it may be damaged).")
        ) from None
    if kind not in IMAGE_TYPES:
        raise not_a_type
    return IMAGE_TYPES[kind], width, height


def _refuse_bomb(size: tuple[int, int]) -> None:
    # Pillow raises only above twice MAX_IMAGE_PIXELS (it warns between): refuse both,
    # from the header alone, before a pixel is decoded.
    limit = Image.MAX_IMAGE_PIXELS
    if limit and size[0] * size[1] > limit:
        raise _bomb()


def _bomb() -> DocumentInvalid:
    return DocumentInvalid(
        _("The image has too many pixels to be opened safely (at most %(max)d million).")
        % {"max": (Image.MAX_IMAGE_PIXELS or 0) // 1_000_000}
    )


def _pdf(content: bytes) -> tuple[str, int, int]:
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise DocumentInvalid(
                _("The PDF is encrypted or password-protected; upload an unprotected copy.")
            )
        if len(reader.pages) == 0:
            raise DocumentInvalid(_("The PDF has no pages."))
        box = reader.pages[0].mediabox
        width, height = abs(float(box.width)), abs(float(box.height))
    except DocumentInvalid:
        raise
    except Exception:  # pypdf raises many kinds (and RecursionError) on hostile bytes
        raise DocumentInvalid(_("The file is not a readable PDF (it may be damaged).")) from None
    return PDF, round(width), round(height)
