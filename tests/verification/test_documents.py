"""Identity documents (docs/design.md §4, issue 11): PDF/JPEG/PNG decoded by Pillow or pypdf, at
least 600 x 400 px (images) or 200 x 120 pt (a PDF's first page) and 10 KB, at most 10 MB;
anything else is refused on the field with nothing kept; private storage,
served only through the desk to staff who work the ticket (audited), deleted after the
retention period by a beat task."""

import datetime as dt
import hashlib
import io
import random
import struct
import zlib

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader, PdfWriter

from audit.models import AuditEvent
from tests.conftest import signed_in
from tests.factories import document_pdf, document_png, document_upload
from verification.documents import DocumentInvalid, document_decode
from verification.models import Attempt, DocumentCheck
from verification.services import (
    DocumentRefused,
    VerificationError,
    document_check_record,
    documents_purge,
)
from verification.tasks import documents_purge_task

from .helpers import ALL_TICKED, open_ticket

pytestmark = pytest.mark.django_db


def image(kind="PNG", name="id.png") -> SimpleUploadedFile:
    return document_upload(document_png(fmt=kind), name)


def record(ticket, agent, upload, **checklist):
    return document_check_record(
        ticket=ticket,
        staff=agent,
        upload=upload,
        document_type="passport",
        checklist=checklist or ALL_TICKED,
    )


def _nothing_left_behind(before: set[str]) -> None:
    assert not DocumentCheck.objects.exists()
    assert not Attempt.objects.filter(method="document").exists()
    assert _stored() == before


def _stored() -> set[str]:
    root = "verification/documents"
    if not default_storage.exists(root):
        return set()
    found = set()
    for year in default_storage.listdir(root)[0]:
        for month in default_storage.listdir(f"{root}/{year}")[0]:
            found.update(default_storage.listdir(f"{root}/{year}/{month}")[1])
    return found


@pytest.mark.parametrize(
    ("upload", "content_type", "size"),
    [
        (image("PNG"), "image/png", (800, 500)),
        (image("JPEG", "id.jpg"), "image/jpeg", (800, 500)),
        (document_upload(document_pdf(), "id.pdf"), "application/pdf", (600, 400)),
    ],
)
def test_pdf_jpeg_and_png_are_accepted_by_their_content(ticket, agent, upload, content_type, size):
    content = upload.read()
    upload.seek(0)
    check = record(ticket, agent, upload)
    assert check.content_type == content_type
    assert check.result == "passed"
    assert (check.width, check.height) == size
    assert check.sha256 == hashlib.sha256(content).hexdigest()
    assert default_storage.exists(check.file.name)
    assert "id" not in check.file.name.rsplit("/", 1)[-1].split(".")[0]  # a random name


def test_a_portrait_photo_is_accepted_too(ticket, agent):
    check = record(ticket, agent, image_of(size=(420, 620)))
    assert (check.width, check.height) == (420, 620)


def image_of(**kwargs) -> SimpleUploadedFile:
    return document_upload(document_png(**kwargs))


def _one_pixel_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), "white").save(buffer, "PNG")
    return buffer.getvalue()


def _bomb_png(width: int = 40_000, height: int = 40_000) -> bytes:
    """A PNG whose header claims 1.6 billion pixels (its body is a few bytes): decoding it
    would take gigabytes. Padded past the minimum size after IEND, as a bomb would be."""
    png = _one_pixel_png()
    ihdr = png.index(b"IHDR")
    header = b"IHDR" + struct.pack(">II", width, height) + png[ihdr + 12 : ihdr + 17]
    patched = png[:ihdr] + header + struct.pack(">I", zlib.crc32(header)) + png[ihdr + 21 :]
    return patched + b"\0" * 20_000


def _truncated_png() -> bytes:
    whole = document_png()
    return whole[: len(whole) * 2 // 3]


def _truncated_jpeg() -> bytes:
    whole = document_png(fmt="JPEG")
    return whole[: len(whole) // 2]


def _garbled_png() -> bytes:
    whole = bytearray(document_png())
    whole[len(whole) // 2] ^= 0xFF  # one bit flipped in the pixel data: its CRC fails
    return bytes(whole)


def _pdf_without_pages() -> bytes:
    writer = PdfWriter()
    # An attachment makes it as heavy as a scan, so that only the missing page is wrong.
    writer.add_attachment("scan.bin", random.Random(1).randbytes(20_000))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(document_pdf())))
    writer.encrypt(user_password="secret", owner_password="owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(_one_pixel_png(), "too small", id="the pixel of issue 11"),
        pytest.param(document_png(size=(599, 400)), "at least 600 x 400 px", id="narrow photo"),
        pytest.param(document_png(size=(600, 399)), "at least 600 x 400 px", id="short photo"),
        pytest.param(document_png(size=(300, 300), fmt="JPEG"), "600 x 400", id="thumbnail"),
        pytest.param(_bomb_png(), "too many pixels", id="decompression bomb"),
        pytest.param(_truncated_png(), "damaged", id="truncated png"),
        pytest.param(_truncated_jpeg(), "damaged", id="truncated jpeg"),
        pytest.param(_garbled_png(), "damaged", id="corrupt png"),
        pytest.param(b"MZ\x90\x00" + bytes(20_000), "PDF, JPEG or PNG", id="not an image"),
        pytest.param(b"%PDF-1.7\n" + bytes(20_000), "not a readable PDF", id="not a pdf"),
        pytest.param(_pdf_without_pages(), "no pages", id="pdf without pages"),
        pytest.param(_encrypted_pdf(), "encrypted", id="encrypted pdf"),
        pytest.param(document_pdf(dpi=300), "at least 200 x 120 pt", id="stamp-sized pdf page"),
    ],
)
def test_what_is_not_a_readable_identity_document_is_refused_and_leaves_nothing(
    ticket, agent, content, message
):
    before = _stored()
    with pytest.raises(DocumentRefused, match=message):
        record(ticket, agent, document_upload(content, "passport.png"))
    _nothing_left_behind(before)


def test_an_image_between_pillows_warning_and_its_error_is_refused_too(ticket, agent, monkeypatch):
    # Pillow only warns up to twice MAX_IMAGE_PIXELS; the desk refuses from the limit on.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 300_000)
    upload = image_of(size=(800, 500))  # 400,000 px: Pillow alone would only warn
    with (
        pytest.warns(Image.DecompressionBombWarning),
        pytest.raises(DocumentRefused, match="too many pixels"),
    ):
        record(ticket, agent, upload)
    assert not DocumentCheck.objects.exists()


def test_the_minimums_are_settings(ticket, agent, settings):
    settings.VERIFICATION_DOCUMENT_MIN_PIXELS = (1000, 700)
    with pytest.raises(DocumentRefused, match="at least 1000 x 700 px"):
        record(ticket, agent, image())


def test_a_refused_file_is_an_error_on_the_upload_field_never_a_500(clock, customer, agent):
    ticket = open_ticket(customer, agent, category="organisation", items=[_org_item()])
    response = signed_in(agent).post(
        reverse("verification:document_upload", args=[ticket.reference]),
        {"document_type": "passport", "file": document_upload(_one_pixel_png()), **ALL_TICKED},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    errors = html.split('data-testid="document-file-errors"')[1].split("</div>")[0]
    assert "too small" in errors
    assert 'aria-invalid="true"' in html
    assert "600 x 400 px" in html  # the help text states the minimums
    assert not DocumentCheck.objects.exists()


def _org_item():
    from profiledesk.tickets.services import ItemDraft

    return ItemDraft(
        section="organisation",
        field="organisation.business_name",
        label="Business name",
        new_value="Acme Ltd",
        new_display="Acme Ltd",
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    prefix=st.sampled_from([b"", b"%PDF-1.4\n", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0"]),
    body=st.binary(min_size=0, max_size=4096),
    pad=st.integers(min_value=0, max_value=12_000),
)
def test_fuzzed_bytes_are_refused_with_a_message_never_an_error(ticket, agent, prefix, body, pad):
    content = prefix + body + bytes(pad)
    try:
        document_decode(content)
    except DocumentInvalid as error:
        assert str(error)
    with pytest.raises(VerificationError):
        record(ticket, agent, document_upload(content))
    assert not DocumentCheck.objects.exists()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(cut=st.integers(min_value=0, max_value=40_000), flip=st.integers(0, 255))
def test_damaged_real_documents_through_the_wizard_never_give_a_500(ticket, agent, cut, flip):
    whole = bytearray(_SEED_PDF if cut % 2 else _SEED_JPEG)
    position = cut % len(whole)
    whole[position] ^= flip
    response = signed_in(agent).post(
        reverse("verification:document_upload", args=[ticket.reference]),
        {"document_type": "passport", "file": document_upload(bytes(whole)), **ALL_TICKED},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code in (200, 204)


_SEED_JPEG = document_png(fmt="JPEG", size=(620, 410))
_SEED_PDF = document_pdf()


def test_a_document_over_ten_megabytes_is_refused(ticket, agent):
    big = SimpleUploadedFile("id.pdf", b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024))
    with pytest.raises(VerificationError, match="10 MB"):
        record(ticket, agent, big)


def test_a_document_of_exactly_ten_megabytes_is_accepted(ticket, agent):
    content = document_png()
    exact = content + bytes(10 * 1024 * 1024 - len(content))  # trailing bytes after IEND
    assert record(ticket, agent, document_upload(exact)).size == 10 * 1024 * 1024


def test_an_unticked_checklist_fails_the_check(ticket, agent):
    check = record(ticket, agent, image(), **{**ALL_TICKED, "photo_matches": False})
    assert check.result == "failed"


def test_the_file_is_served_to_the_floor_only_and_every_view_is_audited(ticket, agent, personas):
    check = record(ticket, agent, image())
    url = reverse("verification:document", args=[ticket.reference, check.pk])
    response = signed_in(agent).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert AuditEvent.objects.filter(action="verification.document_viewed").count() == 1
    assert signed_in(personas["compliance"]).get(url).status_code == 403
    assert signed_in(personas["outsider"]).get(url).status_code == 404


def test_documents_are_deleted_after_the_retention_period(ticket, agent, clock, settings):
    settings.VERIFICATION_DOCUMENT_RETENTION_DAYS = 30
    check = record(ticket, agent, image())
    name = check.file.name
    clock.shift(dt.timedelta(days=30))
    assert documents_purge() == 0
    clock.shift(dt.timedelta(seconds=1))
    assert documents_purge_task.apply().get() == 1
    check.refresh_from_db()
    assert not check.file and check.file_deleted_at is not None
    assert not default_storage.exists(name)
    assert check.result == "passed"  # the evidence stays
    assert documents_purge() == 0  # idempotent
    response = signed_in(agent).get(
        reverse("verification:document", args=[ticket.reference, check.pk])
    )
    assert response.status_code == 404


def test_the_purge_runs_from_celery_beat():
    schedule = django_settings.CELERY_BEAT_SCHEDULE["verification-documents-purge"]
    assert schedule["task"] == documents_purge_task.name
