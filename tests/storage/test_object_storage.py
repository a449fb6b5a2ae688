"""Private files in an S3-compatible object store (issue 19): a real server (moto in server
mode, tests/objectstore.py), the desk's own storage class and views, no mocks of S3.

The attacker's and the operator's cases first: an anonymous GET on an object's URL, two
uploads racing for one name, a URL handed out behind the views' back, the store going
away before, during and after a write; then every kind of private file written, read
back through its audited view, encrypted at rest, swept and purged in the store."""

import datetime as dt
from unittest import mock

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from profiledesk.exports.models import Status
from profiledesk.exports.services import export_build, exports_purge
from profiledesk.inbound.parsing import from_eml
from profiledesk.inbound.services import email_ingest
from profiledesk.inbound.signature import sign
from profiledesk.privacy import orphans
from profiledesk.storage import PrivateS3Storage, StorageUnavailable
from profiledesk.tickets.models import Attachment, Ticket
from profiledesk.tickets.services import ItemDraft
from tests.conftest import signed_in
from tests.exports.helpers import queued_export
from tests.factories import claimed, document_upload
from tests.inbound.conftest import (
    NORTHWIND_INBOX,
    eml,
    multipart,
    png_bytes,
    post_email,
)
from tests.objectstore import storage_settings
from tests.verification.helpers import ALL_TICKED, open_ticket
from verification.models import Attempt, DocumentCheck
from verification.services import document_check_record, documents_purge

pytestmark = pytest.mark.django_db


def _key(store, name: str) -> str:
    return f"{store.prefix}/{name}"


def _head(store, name: str) -> dict:
    return store.client().head_object(Bucket=store.bucket, Key=_key(store, name))


def _outage(settings, store) -> None:
    """From here on the desk's storage points at a port where nothing listens."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": storage_settings(store.closed_port_env(), store.prefix),
    }


def _document(ticket, agent) -> DocumentCheck:
    return document_check_record(
        ticket=ticket,
        staff=agent,
        upload=document_upload(name="passport.png"),
        document_type="passport",
        checklist=ALL_TICKED,
    )


@pytest.fixture
def ticket(customer, agent):
    return claimed(open_ticket(customer, agent), agent)


def _email(customer, *names: str):
    return from_eml(
        eml(
            sender=customer.emails.get(is_primary=True).email,
            attachments=[(name, png_bytes(), "image/png") for name in names],
        )
    )


# --- private, encrypted, never a URL ------------------------------------------------------


def test_the_store_is_the_default_storage_when_production_settings_name_a_bucket(s3_storage):
    default_storage.save("probe.txt", ContentFile(b"x"))
    assert isinstance(default_storage._wrapped, PrivateS3Storage)
    assert s3_storage.keys(s3_storage.prefix) == [_key(s3_storage, "probe.txt")]


def test_an_identity_document_is_private_encrypted_and_served_only_through_its_view(
    s3_storage, ticket, agent, personas
):
    check = _document(ticket, agent)
    head = _head(s3_storage, check.file.name)
    assert head["ServerSideEncryption"] == "AES256"  # asked for on the write itself
    # Anyone who learns the object's address gets nothing from the store itself.
    anonymous = requests.get(
        f"{s3_storage.endpoint}/{s3_storage.bucket}/{_key(s3_storage, check.file.name)}", timeout=5
    )
    assert anonymous.status_code == 403
    url = reverse("verification:document", args=[ticket.reference, check.pk])
    response = signed_in(agent).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == document_upload(name="x").read()
    assert response["Cache-Control"] == "private, no-store"
    assert AuditEvent.objects.filter(action="verification.document_viewed").count() == 1
    assert signed_in(personas["outsider"]).get(url).status_code == 404


def test_a_public_object_would_be_readable_so_the_refusal_above_means_something(s3_storage):
    client = s3_storage.client()
    key = _key(s3_storage, "public-control.txt")
    client.put_object(Bucket=s3_storage.bucket, Key=key, Body=b"x", ACL="public-read")
    assert requests.get(f"{s3_storage.endpoint}/{s3_storage.bucket}/{key}", timeout=5).ok


def test_a_private_file_has_no_url_to_hand_out(s3_storage):
    name = default_storage.save("verification/documents/x.png", ContentFile(b"x"))
    with pytest.raises(NotImplementedError):
        default_storage.url(name)


def test_two_writes_racing_for_one_name_never_overwrite_each_other(s3_storage):
    # Both looked before either wrote (two e-mails attaching "passport.png" at once): the
    # store's If-None-Match refuses the second, which takes another name.
    with mock.patch.object(
        PrivateS3Storage, "get_available_name", lambda self, name, max_length=None: name
    ):
        first = default_storage.save("tickets/2026/12/passport.png", ContentFile(b"first"))
        second = default_storage.save("tickets/2026/12/passport.png", ContentFile(b"second"))
    assert first != second
    with default_storage.open(first) as one, default_storage.open(second) as two:
        assert (one.read(), two.read()) == (b"first", b"second")


# --- every kind of private file, read back through the desk ------------------------------


def test_inbound_attachments_are_stored_and_downloaded_through_the_audited_view(
    s3_storage, customer, personas
):
    ingested = email_ingest(message=_email(customer, "passport.png"))
    attachment = ingested.ticket.attachments.get()
    assert _head(s3_storage, attachment.file.name)["ServerSideEncryption"] == "AES256"
    response = signed_in(personas["agent"]).get(
        reverse("tickets:attachment", args=[ingested.ticket.reference, attachment.pk])
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    assert AuditEvent.objects.filter(action="ticket.attachment_opened").exists()


def test_an_export_built_by_a_worker_is_downloaded_from_the_store_and_purged_there(
    s3_storage, northwind, personas
):
    compliance = personas["compliance"]
    export = queued_export(northwind, compliance)
    assert export_build(export_id=export.pk) == "done"
    export.refresh_from_db()
    assert _head(s3_storage, export.file.name)["ServerSideEncryption"] == "AES256"
    response = signed_in(compliance).get(reverse("exports:download", args=[export.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body and export.size == len(body)
    name = export.file.name
    assert exports_purge(now=export.expires_at + dt.timedelta(seconds=1)) == 1
    assert _key(s3_storage, name) not in s3_storage.keys(s3_storage.prefix)


def test_identity_documents_past_retention_are_deleted_from_the_store(
    s3_storage, ticket, agent, settings
):
    check = _document(ticket, agent)
    name = check.file.name
    later = timezone.now() + dt.timedelta(days=settings.VERIFICATION_DOCUMENT_RETENTION_DAYS + 1)
    assert documents_purge(now=later) == 1
    assert s3_storage.keys(s3_storage.prefix) == []
    assert not default_storage.exists(name)


def test_the_orphan_sweep_lists_and_deletes_by_prefix_in_the_store(
    s3_storage, customer, ticket, agent, monkeypatch
):
    kept_document = _document(ticket, agent).file.name
    kept_attachment = email_ingest(message=_email(customer, "scan.png")).ticket.attachments.get()
    strays = [
        default_storage.save("tickets/2026/11/stray.png", ContentFile(b"x")),
        default_storage.save("verification/documents/2026/11/stray.png", ContentFile(b"x")),
        default_storage.save("exports/2026/11/stray.csv", ContentFile(b"x")),
    ]
    assert orphans.files_orphans_sweep() == 0  # younger than a day: may await its commit
    later = timezone.now() + orphans.ORPHAN_MIN_AGE + dt.timedelta(minutes=1)
    monkeypatch.setattr(orphans.timezone, "now", lambda: later)
    assert orphans.files_orphans_sweep(batch_size=2) == len(strays)
    left = s3_storage.keys(s3_storage.prefix)
    assert left == sorted(_key(s3_storage, n) for n in (kept_document, kept_attachment.file.name))


# --- an outage of the store ---------------------------------------------------------------


def test_an_upload_while_the_store_is_down_is_a_clear_error_and_keeps_nothing(
    s3_storage, customer, agent, settings
):
    business_name = ItemDraft(
        section="organisation",
        field="organisation.business_name",
        label="Business name",
        new_value="Acme Ltd",
        new_display="Acme Ltd",
    )  # AL3: the wizard offers the document upload
    ticket = claimed(
        open_ticket(customer, agent, category="organisation", items=[business_name]), agent
    )
    _outage(settings, s3_storage)
    response = signed_in(agent).post(
        reverse("verification:document_upload", args=[ticket.reference]),
        {"document_type": "passport", "file": document_upload(), **ALL_TICKED},
        HTTP_HX_REQUEST="true",
    )
    # An htmx request: the answer is the panel again, the reason on the file field.
    assert response.status_code == 200
    errors = response.content.decode().split('data-testid="document-file-errors"')[1]
    assert "file store cannot be reached" in errors.split("</div>")[0]
    assert not DocumentCheck.objects.exists()
    assert not Attempt.objects.filter(method="document").exists()


def test_a_download_while_the_store_is_down_is_a_503_with_a_reason_and_not_audited(
    s3_storage, ticket, agent, settings
):
    check = _document(ticket, agent)
    _outage(settings, s3_storage)
    response = signed_in(agent).get(
        reverse("verification:document", args=[ticket.reference, check.pk])
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "file store cannot be reached" in response.content.decode()
    assert not AuditEvent.objects.filter(action="verification.document_viewed").exists()


def test_an_inbound_email_while_the_store_is_down_is_a_503_and_its_retry_is_taken(
    s3_storage, customer, settings, inbound_secret
):
    healthy = settings.STORAGES
    body = multipart(
        {
            "from": f"Grace Hopper <{customer.emails.get(is_primary=True).email}>",
            "to": NORTHWIND_INBOX,
            "subject": "New phone number",
            "text": "Please change my mobile to +44 7700 900123.",
            "attachment1": SimpleUploadedFile("passport.png", png_bytes(), "image/png"),
        }
    )
    headers = sign(body, secret=inbound_secret)
    _outage(settings, s3_storage)
    refused = post_email(body, headers)
    assert refused.status_code == 503  # the provider retries a 5xx
    assert "file store cannot be reached" in refused.json()["detail"]
    assert refused["Retry-After"] == "60"
    assert not Ticket.objects.exists() and not Attachment.objects.exists()
    settings.STORAGES = healthy
    taken = post_email(body, headers)  # the provider's retry: the same signed request
    assert taken.status_code == 201
    attachment = Ticket.objects.get().attachments.get()
    with attachment.file.open("rb") as stored:
        assert stored.read() == png_bytes()


def test_an_export_built_while_the_store_is_down_fails_saying_so(
    s3_storage, northwind, personas, settings
):
    export = queued_export(northwind, personas["compliance"])
    _outage(settings, s3_storage)
    assert export_build(export_id=export.pk) == "failed"
    export.refresh_from_db()
    assert export.status == Status.FAILED
    assert "file store" in export.error
    assert not export.file


def test_a_file_stranded_by_an_outage_during_the_rollback_is_swept_once_the_store_is_back(
    s3_storage, ticket, agent, settings, monkeypatch
):
    # The file is written, then the database fails, and the store is gone before the
    # rollback can delete the file: the row is gone, the file stays behind...
    healthy = settings.STORAGES

    def fail_after_the_write(**kwargs):
        _outage(settings, s3_storage)
        raise DatabaseError("connection lost")

    with (
        mock.patch("verification.services.Attempt.objects.create", fail_after_the_write),
        pytest.raises(DatabaseError),
    ):
        _document(ticket, agent)
    assert not DocumentCheck.objects.exists()
    settings.STORAGES = healthy  # ...until the store is back and the daily sweep runs
    stranded = s3_storage.keys(s3_storage.prefix)
    assert len(stranded) == 1
    later = timezone.now() + orphans.ORPHAN_MIN_AGE + dt.timedelta(minutes=1)
    monkeypatch.setattr(orphans.timezone, "now", lambda: later)
    assert orphans.files_orphans_sweep() == 1
    assert s3_storage.keys(s3_storage.prefix) == []


def test_the_store_going_down_is_a_storage_error_not_a_library_one(s3_storage, settings):
    _outage(settings, s3_storage)
    for call in (
        lambda: default_storage.save("tickets/x.png", ContentFile(b"x")),
        lambda: default_storage.open("tickets/x.png"),
        lambda: default_storage.exists("tickets/x.png"),
        lambda: default_storage.listdir("tickets"),
        lambda: default_storage.delete("tickets/x.png"),
    ):
        with pytest.raises(StorageUnavailable):
            call()


def test_a_missing_object_is_file_not_found_as_on_disk(s3_storage):
    with pytest.raises(FileNotFoundError):
        default_storage.open("tickets/none.png")
    with pytest.raises(FileNotFoundError):
        default_storage.get_modified_time("tickets/none.png")
    assert default_storage.listdir("tickets") == ([], [])


def test_without_a_bucket_the_private_files_stay_on_the_local_disk(monkeypatch, tmp_path):
    # `make run` and a one-machine desk: nothing to configure, nothing to reach.
    from profiledesk.settings.base import private_storage

    monkeypatch.delenv("S3_BUCKET", raising=False)
    monkeypatch.setenv("PRIVATE_MEDIA_ROOT", str(tmp_path))
    assert private_storage() == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)},
    }
    monkeypatch.setenv("S3_BUCKET", "desk-private")
    monkeypatch.setenv("S3_SSE", "aws:kms")
    monkeypatch.setenv("S3_SSE_KMS_KEY_ID", "alias/desk")
    chosen = private_storage()
    assert chosen["BACKEND"] == "profiledesk.storage.PrivateS3Storage"
    storage = PrivateS3Storage(**chosen["OPTIONS"])
    assert storage.object_parameters == {
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": "alias/desk",
    }
    assert (storage.default_acl, storage.file_overwrite) == (None, False)


def test_a_purge_during_an_outage_marks_nothing_purged_and_the_next_run_finishes_it(
    s3_storage, northwind, personas, settings
):
    export = queued_export(northwind, personas["compliance"])
    assert export_build(export_id=export.pk) == "done"
    export.refresh_from_db()
    due = export.expires_at + dt.timedelta(seconds=1)
    healthy = settings.STORAGES
    _outage(settings, s3_storage)
    with pytest.raises(StorageUnavailable):  # the hourly task fails, loudly, and retries
        exports_purge(now=due)
    export.refresh_from_db()
    assert export.purged_at is None and export.file  # the row still names a file it has
    settings.STORAGES = healthy
    assert exports_purge(now=due) == 1
    assert s3_storage.keys(s3_storage.prefix) == []
