"""Avatars in the object store (issue 19): captured, served to the moderator, published by
apply and swept, against a real S3-compatible server (tests/objectstore.py); a capture
while the store is down opens no ticket whose picture is missing."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from profiledesk.apply.services import ApplyError, ticket_apply
from profiledesk.customers.models import Avatar
from profiledesk.intake.avatars import published_name
from profiledesk.intake.capture import drafts_for
from profiledesk.intake.validators import validate_avatar
from profiledesk.privacy import orphans
from profiledesk.tickets.models import ChangeItem, State, Ticket
from tests.apply.helpers import approve, ready
from tests.conftest import signed_in
from tests.objectstore import storage_settings

pytestmark = pytest.mark.django_db


def _png(colour="teal") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="PNG")
    return SimpleUploadedFile("me.png", buffer.getvalue(), content_type="image/png")


def _captured(customer, agent):
    items = drafts_for(
        category="avatar", cleaned_data={"image": validate_avatar(_png())}, customer=customer
    )
    ticket = ready(customer, agent, "avatar", items=items, level=2)
    ticket.assignee = agent
    ticket.save(update_fields=["assignee"])
    return ticket


def _key(store, name):
    return f"{store.prefix}/{name}"


def test_an_avatar_goes_from_capture_to_moderation_to_the_profile_in_the_store(
    s3_storage, customer, personas, django_capture_on_commit_callbacks
):
    ticket = _captured(customer, personas["agent"])
    pending = ticket.items.get(field="avatar.image").new_value
    head = s3_storage.client().head_object(Bucket=s3_storage.bucket, Key=_key(s3_storage, pending))
    assert head["ServerSideEncryption"] == "AES256"
    approve(ticket, personas)  # submitted and approved
    item = ticket.items.get(field="avatar.image")
    url = reverse("approvals:avatar", args=[ticket.reference, item.pk])
    response = signed_in(personas["compliance"]).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    pixels = response.content
    with django_capture_on_commit_callbacks(execute=True):
        ticket_apply(ticket=ticket, by=personas["agent"])
    avatar = Avatar.objects.get(customer=customer)
    assert avatar.image.name == published_name(pending)
    # Published in the store, the pending copy deleted there once the apply committed.
    assert s3_storage.keys(s3_storage.prefix) == [_key(s3_storage, avatar.image.name)]
    with avatar.image.open("rb") as file:
        assert file.read() == pixels


def test_a_capture_while_the_store_is_down_is_a_clear_error_and_opens_no_ticket(
    s3_storage, customer, agent, settings
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": storage_settings(s3_storage.closed_port_env(), s3_storage.prefix),
    }
    response = signed_in(agent).post(
        reverse("tickets:new", args=[customer.pk]) + "?channel=phone&category=avatar",
        {"channel": "phone", "category": "avatar", "summary": "New picture", "image": _png()},
    )
    assert response.status_code == 503
    assert "file store cannot be reached" in response.content.decode()
    assert not Ticket.objects.exists() and not ChangeItem.objects.exists()


def test_a_pending_avatar_no_change_item_names_is_swept_and_a_named_one_stays(
    s3_storage, customer, agent, monkeypatch
):
    kept = _captured(customer, agent).items.get(field="avatar.image").new_value
    with pytest.raises(RuntimeError), transaction.atomic():  # a capture that rolled back
        drafts_for(
            category="avatar",
            cleaned_data={"image": validate_avatar(_png("red"))},
            customer=customer,
        )
        raise RuntimeError("the ticket's insert failed")
    assert len(s3_storage.keys(f"{s3_storage.prefix}/avatars/pending/")) == 2
    later = timezone.now() + orphans.ORPHAN_MIN_AGE + dt.timedelta(minutes=1)
    monkeypatch.setattr(orphans.timezone, "now", lambda: later)
    assert orphans.files_orphans_sweep() == 1
    assert s3_storage.keys(s3_storage.prefix) == [_key(s3_storage, kept)]


def test_an_apply_while_the_store_is_down_is_refused_saying_so_and_changes_nothing(
    s3_storage, customer, personas, settings
):
    ticket = _captured(customer, personas["agent"])
    approve(ticket, personas)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": storage_settings(s3_storage.closed_port_env(), s3_storage.prefix),
    }
    with pytest.raises(ApplyError, match="file store cannot be reached"):
        ticket_apply(ticket=ticket, by=personas["agent"])
    ticket.refresh_from_db()
    assert ticket.state == State.APPROVED
    assert not Avatar.objects.filter(customer=customer, image__startswith="avatars/2").exists()
    assert len(s3_storage.keys(s3_storage.prefix)) == 1  # the pending copy, nothing published
