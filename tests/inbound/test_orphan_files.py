"""An e-mail whose ticket is not committed leaves no attachment file behind."""

from unittest import mock

import pytest
from django.core.files.storage import default_storage

from profiledesk.inbound.parsing import from_eml
from profiledesk.inbound.services import email_ingest
from profiledesk.tickets.models import Attachment, Ticket
from tests.inbound.conftest import eml, png_bytes


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


def _files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _message(customer):
    return from_eml(
        eml(
            sender=customer.emails.get(is_primary=True).email,
            attachments=[
                ("passport.png", png_bytes(), "image/png"),
                ("scan.png", png_bytes(), "image/png"),
                ("run-me.exe", b"MZ\x90\x00", "application/octet-stream"),
            ],
        )
    )


def test_a_failed_ingest_deletes_the_attachments_it_wrote(private_storage, customer):
    # The refused .exe is named in a comment after both images were saved: fail there.
    with (
        mock.patch(
            "profiledesk.inbound.services.ticket_comment", side_effect=RuntimeError("db down")
        ),
        pytest.raises(RuntimeError),
    ):
        email_ingest(message=_message(customer))
    assert not Ticket.objects.exists()
    assert _files(private_storage) == []


def test_a_failed_row_insert_deletes_its_own_file_too(private_storage, customer):
    # The file is saved before the row: a failing INSERT must not strand it.
    with (
        mock.patch.object(Attachment, "save", side_effect=RuntimeError("insert failed")),
        pytest.raises(RuntimeError),
    ):
        email_ingest(message=_message(customer))
    assert _files(private_storage) == []


def test_a_committed_ingest_keeps_its_attachments(private_storage, customer):
    ingested = email_ingest(message=_message(customer))
    names = sorted(a.file.name for a in ingested.ticket.attachments.all())
    assert len(names) == 2
    assert _files(private_storage) == names
    assert all(default_storage.exists(name) for name in names)
