"""A captured avatar is written only when its ticket commits: a capture that fails (at
the desk or anywhere in the transaction) leaves no file in private storage."""

import io
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from PIL import Image

from profiledesk.intake.capture import drafts_for
from profiledesk.intake.validators import validate_avatar
from profiledesk.policies.categories import Category
from profiledesk.tickets.models import Ticket
from profiledesk.tickets.services import TicketError
from tests.conftest import signed_in

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


def _png(name="me.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _files(root) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()]


def test_the_file_is_written_when_the_transaction_commits(
    private_storage, customer, django_capture_on_commit_callbacks
):
    upload = validate_avatar(_png())
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        [item] = drafts_for(
            category=Category.AVATAR, cleaned_data={"image": upload}, customer=customer
        )
        assert _files(private_storage) == []  # nothing on disk before the commit
    assert _files(private_storage) == [item.new_value]


def test_a_rolled_back_capture_writes_no_file(
    private_storage, customer, django_capture_on_commit_callbacks
):
    upload = validate_avatar(_png())
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        drafts_for(category=Category.AVATAR, cleaned_data={"image": upload}, customer=customer)
        raise RuntimeError("the ticket could not be created")
    assert _files(private_storage) == []


def test_a_refused_ticket_at_the_desk_leaves_no_avatar_file(
    private_storage, agent, customer, django_capture_on_commit_callbacks
):
    url = reverse("tickets:new", args=[customer.pk])
    with (
        mock.patch("profiledesk.tickets.views.ticket_create", side_effect=TicketError("Refused.")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = signed_in(agent).post(
            url, {"channel": "phone", "category": "avatar", "image": _png()}
        )
    assert response.status_code == 200
    assert not Ticket.objects.exists()
    assert _files(private_storage) == []


def test_an_avatar_ticket_opened_at_the_desk_keeps_its_file(
    private_storage, agent, customer, django_capture_on_commit_callbacks
):
    url = reverse("tickets:new", args=[customer.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(agent).post(
            url, {"channel": "phone", "category": "avatar", "image": _png()}
        )
    assert response.status_code == 302
    item = Ticket.objects.get().items.get()
    assert _files(private_storage) == [item.new_value]
