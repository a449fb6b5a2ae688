"""An identity document whose check is not committed leaves no file behind."""

from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import document_upload
from verification.models import DocumentCheck
from verification.services import document_check_record

from .helpers import ALL_TICKED

pytestmark = pytest.mark.django_db


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


def _passport() -> SimpleUploadedFile:
    return document_upload(name="passport.png")


def _record(ticket, agent):
    return document_check_record(
        ticket=ticket,
        staff=agent,
        upload=_passport(),
        document_type="passport",
        checklist=ALL_TICKED,
    )


def _files(root) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()]


def test_a_check_that_fails_after_storing_its_file_deletes_the_file(private_storage, ticket, agent):
    # The audit event is written last, after the file, the check row and the attempt.
    with (
        mock.patch("verification.services._audit", side_effect=RuntimeError("audit down")),
        pytest.raises(RuntimeError),
    ):
        _record(ticket, agent)
    assert not DocumentCheck.objects.exists()
    assert _files(private_storage) == []


def test_a_recorded_check_keeps_its_file(private_storage, ticket, agent):
    check = _record(ticket, agent)
    assert _files(private_storage) == [check.file.name]
