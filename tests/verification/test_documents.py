"""Identity documents (DESIGN 4): PDF/JPEG/PNG by content, at most 10 MB, private storage,
served only through the desk to staff who work the ticket (audited), deleted after the
retention period by a beat task."""

import datetime as dt
import io

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from audit.models import AuditEvent
from tests.conftest import signed_in
from verification.models import DocumentCheck
from verification.services import VerificationError, document_check_record, documents_purge
from verification.tasks import documents_purge_task

from .helpers import ALL_TICKED

pytestmark = pytest.mark.django_db


def image(kind="PNG", name="id.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, kind)
    return SimpleUploadedFile(name, buffer.getvalue())


def record(ticket, agent, upload, **checklist):
    return document_check_record(
        ticket=ticket,
        staff=agent,
        upload=upload,
        document_type="passport",
        checklist=checklist or ALL_TICKED,
    )


@pytest.mark.parametrize(
    ("upload", "content_type"),
    [
        (image("PNG"), "image/png"),
        (image("JPEG", "id.jpg"), "image/jpeg"),
        (SimpleUploadedFile("id.pdf", b"%PDF-1.7\n%%EOF\n"), "application/pdf"),
    ],
)
def test_pdf_jpeg_and_png_are_accepted_by_their_content(ticket, agent, upload, content_type):
    check = record(ticket, agent, upload)
    assert check.content_type == content_type
    assert check.result == "passed"
    assert default_storage.exists(check.file.name)
    assert "id" not in check.file.name.rsplit("/", 1)[-1].split(".")[0]  # a random name


def test_a_file_is_judged_by_its_bytes_not_its_name(ticket, agent):
    fake = SimpleUploadedFile("passport.png", b"MZ\x90\x00 not an image")
    with pytest.raises(VerificationError, match="PDF, JPEG or PNG"):
        record(ticket, agent, fake)
    assert not DocumentCheck.objects.exists()


def test_a_document_over_ten_megabytes_is_refused(ticket, agent):
    big = SimpleUploadedFile("id.pdf", b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024))
    with pytest.raises(VerificationError, match="10 MB"):
        record(ticket, agent, big)


def test_a_document_of_exactly_ten_megabytes_is_accepted(ticket, agent):
    content = b"%PDF-1.7\n"
    exact = SimpleUploadedFile("id.pdf", content + b"0" * (10 * 1024 * 1024 - len(content)))
    assert record(ticket, agent, exact).size == 10 * 1024 * 1024


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
    schedule = settings.CELERY_BEAT_SCHEDULE["verification-documents-purge"]
    assert schedule["task"] == documents_purge_task.name
