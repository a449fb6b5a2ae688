"""A captured avatar is written before its ticket's rows (a store that is down fails the
capture, not a committed ticket); a capture the desk refuses deletes its file at once, and
one rolled back anywhere else leaves a file no change item names, which the daily sweep
deletes."""

import datetime as dt
import io
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from profiledesk.intake.capture import drafts_for
from profiledesk.intake.validators import validate_avatar
from profiledesk.policies.categories import Category
from profiledesk.privacy import orphans
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


def test_the_file_is_written_before_the_tickets_rows(private_storage, customer):
    # Before, not on commit: a store that is down fails the capture, never a committed
    # ticket whose picture is missing (tests/storage/test_avatars_in_store.py).
    upload = validate_avatar(_png())
    with transaction.atomic():
        [item] = drafts_for(
            category=Category.AVATAR, cleaned_data={"image": upload}, customer=customer
        )
        assert _files(private_storage) == [item.new_value]
    assert _files(private_storage) == [item.new_value]


def test_a_rolled_back_capture_leaves_a_file_no_item_names_and_the_sweep_deletes_it(
    private_storage, customer, monkeypatch
):
    upload = validate_avatar(_png())
    with pytest.raises(RuntimeError), transaction.atomic():
        drafts_for(category=Category.AVATAR, cleaned_data={"image": upload}, customer=customer)
        raise RuntimeError("the ticket could not be created")
    assert orphans.files_orphans_sweep() == 0  # a day's grace: it may await its commit
    later = timezone.now() + orphans.ORPHAN_MIN_AGE + dt.timedelta(minutes=1)
    monkeypatch.setattr(orphans.timezone, "now", lambda: later)
    assert orphans.files_orphans_sweep() == 1
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
