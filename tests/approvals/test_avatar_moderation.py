"""Avatar moderation end to end (issue 14): the approver sees the picture itself, served
privately (scoped, audited, never cached, inline only when its bytes are a picture);
approving and applying it completes the moderation and takes the file out of
`avatars/pending/`; a rejected or cancelled ticket's file is gone and never served.

The attacker's cases first: another client's ticket or item in the URL, staff who do not
review evidence, an SVG or HTML page saved under a ".png" name, a stored name that walks
out of the folder, a rejected ticket's picture."""

import io
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from audit.models import AuditEvent
from profiledesk.apply.services import ApplyError, ticket_apply
from profiledesk.approvals.services import approval_reject, approval_submit
from profiledesk.customers.models import Avatar
from profiledesk.intake.avatars import PENDING_NAME, avatar_file_of, published_name
from profiledesk.intake.capture import drafts_for
from profiledesk.intake.validators import validate_avatar
from profiledesk.tickets.models import State
from profiledesk.tickets.states import transition
from tests.apply.helpers import approve, ready
from tests.conftest import make_staff, signed_in
from tests.factories import TicketFactory, complete_customer
from verification.models import DocumentCheck, DocumentType, Result

pytestmark = pytest.mark.django_db

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)">'
    b"<script>fetch('/customers/')</script></svg>"
)
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


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


def _png(colour="teal", size=(64, 48)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return SimpleUploadedFile("me.png", buffer.getvalue(), content_type="image/png")


def _files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def avatar_ticket(private_storage, customer, personas, django_capture_on_commit_callbacks):
    """A ready avatar ticket captured as the desk captures one (the pending file written
    on commit), assigned to the agent working it."""
    agent = personas["agent"]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        items = drafts_for(
            category="avatar", cleaned_data={"image": validate_avatar(_png())}, customer=customer
        )
        ticket = ready(customer, agent, "avatar", items=items, level=2)
    ticket.assignee = agent
    ticket.save(update_fields=["assignee"])
    return ticket


def _item(ticket):
    return ticket.items.get(field="avatar.image")


def _url(ticket, item=None) -> str:
    return reverse("approvals:avatar", args=[ticket.reference, (item or _item(ticket)).pk])


def _submitted(ticket, personas):
    approval_submit(ticket=ticket, by=personas["agent"])
    ticket.refresh_from_db()
    assert ticket.state == State.PENDING_APPROVAL
    return ticket


# --- who may see it ------------------------------------------------------------------


def test_the_approver_sees_the_picture_served_privately_and_the_view_is_audited(
    avatar_ticket, personas
):
    _submitted(avatar_ticket, personas)
    item = _item(avatar_ticket)
    response = signed_in(personas["supervisor"]).get(_url(avatar_ticket, item))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline;")
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    with default_storage.open(item.new_value, "rb") as stored:
        assert response.content == stored.read()
    event = AuditEvent.objects.get(action="approvals.avatar_viewed")
    assert event.actor == personas["supervisor"]
    assert event.data == {"ticket": avatar_ticket.reference, "item": item.pk}
    assert item.new_value not in str(event.data)  # never the file's name


def test_the_ticket_page_shows_the_picture_to_the_approver_and_not_to_the_agent(
    avatar_ticket, personas
):
    _submitted(avatar_ticket, personas)
    page = reverse("tickets:detail", args=[avatar_ticket.reference])
    approver_page = signed_in(personas["supervisor"]).get(page).content.decode()
    assert f'src="{_url(avatar_ticket)}"' in approver_page
    assert 'data-testid="avatar-image"' in approver_page
    agent_page = signed_in(personas["agent"]).get(page).content.decode()
    assert _url(avatar_ticket) not in agent_page


def test_the_approval_queue_shows_the_picture(avatar_ticket, personas):
    _submitted(avatar_ticket, personas)
    queue = signed_in(personas["supervisor"]).get(reverse("approvals:queue")).content.decode()
    assert f'src="{_url(avatar_ticket)}"' in queue


@pytest.mark.parametrize("role", ["agent", "desk_admin"])
def test_staff_who_review_no_evidence_are_refused_the_picture(avatar_ticket, personas, role):
    _submitted(avatar_ticket, personas)
    response = signed_in(personas[role]).get(_url(avatar_ticket))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="approvals.avatar_viewed").exists()


def test_an_approver_of_another_client_learns_nothing(avatar_ticket, personas, solaris):
    _submitted(avatar_ticket, personas)
    stranger = make_staff("solaris-supervisor", "supervisor", solaris)
    response = signed_in(stranger).get(_url(avatar_ticket))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="approvals.avatar_viewed").exists()


def test_another_clients_avatar_item_cannot_be_reached_through_ones_own_ticket(
    private_storage, avatar_ticket, personas, solaris, django_capture_on_commit_callbacks
):
    """The item id of a Solaris ticket, put in the URL of a Northwind ticket the approver
    may see: 404, not the other client's picture."""
    _submitted(avatar_ticket, personas)
    foreign = complete_customer(solaris, legal_name="Ada Lovelace")
    solaris_agent = make_staff("solaris-agent", "agent", solaris)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        image = validate_avatar(_png("red"))
        items = drafts_for(category="avatar", cleaned_data={"image": image}, customer=foreign)
        theirs = ready(foreign, solaris_agent, "avatar", items=items, level=2)
    url = reverse("approvals:avatar", args=[avatar_ticket.reference, _item(theirs).pk])
    assert signed_in(personas["supervisor"]).get(url).status_code == 404


def test_an_item_that_is_not_an_avatar_is_not_served(private_storage, personas, customer):
    ticket = TicketFactory(customer=customer, created_by=personas["agent"])
    item = ticket.items.first()
    url = reverse("approvals:avatar", args=[ticket.reference, item.pk])
    assert signed_in(personas["supervisor"]).get(url).status_code == 404


# --- what it is served as --------------------------------------------------------------


@pytest.mark.parametrize("hostile", [SVG, HTML, b"GIF89a" + HTML, b"\x89PNG\r\n\x1a\n" + SVG])
def test_a_file_that_is_not_a_picture_is_never_served_inline(avatar_ticket, personas, hostile):
    """An SVG or HTML page under a ".png" name (a storage write that bypassed the form, an
    old import): the browser gets an opaque download, never a page in the desk's origin."""
    _submitted(avatar_ticket, personas)
    name = _item(avatar_ticket).new_value
    default_storage.delete(name)
    default_storage.save(name, ContentFile(hostile))
    response = signed_in(personas["supervisor"]).get(_url(avatar_ticket))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "stored",
    [
        "../../../etc/passwd",
        "/etc/passwd",
        "avatars/pending/../../profiledesk/settings/base.py",
        "avatars/pending/2026/01/../../../../manage.py",
        "avatars/pending/2026/01/" + "a" * 32 + ".svg",
        "avatars/pending/2026/01/" + "a" * 32 + ".png/../x.png",
        "tickets/2026/01/attachment.png",
        "verification/documents/2026/01/id.png",
    ],
)
def test_a_stored_name_outside_the_pending_avatars_is_never_opened(
    avatar_ticket, personas, private_storage, stored
):
    _submitted(avatar_ticket, personas)
    item = _item(avatar_ticket)
    item.new_value = stored  # written around the desk's own capture (an import, a bug)
    item.save(update_fields=["new_value"])
    with mock.patch.object(default_storage, "open", side_effect=AssertionError("opened")):
        response = signed_in(personas["supervisor"]).get(_url(avatar_ticket, item))
    assert response.status_code == 404


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.one_of(st.text(max_size=80), st.from_regex(PENDING_NAME, fullmatch=True)))
def test_only_names_the_desk_writes_map_to_a_file(name, private_storage):
    """Whatever text a change item holds, the only names ever looked up are the two the
    desk writes for it: under avatars/, no "..", no absolute path."""
    looked_up: list[str] = []
    with mock.patch.object(default_storage, "exists", side_effect=looked_up.append):
        avatar_file_of(name)
    for candidate in looked_up:
        assert candidate.startswith("avatars/") and ".." not in candidate
        assert candidate in (name, published_name(name))


# --- moderation completes ----------------------------------------------------------------


def test_approving_and_applying_completes_the_moderation_and_leaves_pending(
    avatar_ticket, personas, private_storage, django_capture_on_commit_callbacks
):
    pending = _item(avatar_ticket).new_value
    with open(private_storage / pending, "rb") as file:
        pixels = file.read()
    approve(avatar_ticket, personas)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_apply(ticket=avatar_ticket, by=personas["agent"])
    avatar = Avatar.objects.get(customer=avatar_ticket.customer)
    assert avatar.moderation_status == Avatar.Moderation.APPROVED
    assert avatar.image.name == published_name(pending)
    assert not avatar.image.name.startswith("avatars/pending/")
    assert _files(private_storage) == [avatar.image.name]  # the pending copy is gone
    with avatar.image.open("rb") as file:
        assert file.read() == pixels
    assert avatar.history.latest().history_change_reason == f"{avatar_ticket.reference} applied"
    # The audit view still shows what was approved (the published copy).
    response = signed_in(personas["compliance"]).get(_url(avatar_ticket))
    assert response.status_code == 200 and response.content == pixels


def test_the_profile_shows_the_approved_moderation(
    avatar_ticket, personas, django_capture_on_commit_callbacks
):
    approve(avatar_ticket, personas)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_apply(ticket=avatar_ticket, by=personas["agent"])
    page = signed_in(personas["supervisor"]).get(
        reverse("customers:profile", args=[avatar_ticket.customer_id])
    )
    assert "Moderation: Approved" in page.content.decode()


def test_a_failed_apply_leaves_the_pending_file_and_no_published_copy(
    avatar_ticket, personas, private_storage, django_capture_on_commit_callbacks
):
    pending = _item(avatar_ticket).new_value
    approve(avatar_ticket, personas)
    with (
        mock.patch(
            "profiledesk.apply.services.confirmations_create", side_effect=ValueError("down")
        ),
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ApplyError),
    ):
        ticket_apply(ticket=avatar_ticket, by=personas["agent"])
    assert _files(private_storage) == [pending]
    assert not Avatar.objects.filter(customer=avatar_ticket.customer).exists()


def test_an_apply_whose_pending_file_is_gone_is_refused_with_a_reason(
    avatar_ticket, personas, private_storage
):
    default_storage.delete(_item(avatar_ticket).new_value)
    approve(avatar_ticket, personas)
    with pytest.raises(ApplyError, match="no longer kept"):
        ticket_apply(ticket=avatar_ticket, by=personas["agent"])
    avatar_ticket.refresh_from_db()
    assert avatar_ticket.state == State.APPROVED


def test_rejecting_removes_the_pending_file_and_it_is_never_served_again(
    avatar_ticket, personas, private_storage, django_capture_on_commit_callbacks
):
    _submitted(avatar_ticket, personas)
    with django_capture_on_commit_callbacks(execute=True):
        approval_reject(ticket=avatar_ticket, by=personas["supervisor"], reason="Not a face.")
    assert _files(private_storage) == []
    assert signed_in(personas["supervisor"]).get(_url(avatar_ticket)).status_code == 404


def test_a_rejected_tickets_file_left_on_disk_is_still_not_served(
    avatar_ticket, personas, private_storage
):
    """The delete runs on commit and may fail (a full disk, a locked file): the state
    alone keeps the picture out of reach."""
    _submitted(avatar_ticket, personas)
    with mock.patch("profiledesk.intake.avatars._delete"):
        approval_reject(ticket=avatar_ticket, by=personas["supervisor"], reason="Not a face.")
    assert _files(private_storage) != []
    assert signed_in(personas["supervisor"]).get(_url(avatar_ticket)).status_code == 404


def test_cancelling_removes_the_pending_file(
    avatar_ticket, personas, private_storage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        transition(
            ticket=avatar_ticket, to=State.CANCELLED, by=personas["agent"], reason="Caller hung up"
        )
    assert _files(private_storage) == []


# --- identity documents: the same rules ---------------------------------------------------


def _document(ticket, agent, content: bytes):
    name = default_storage.save("verification/documents/2026/03/id.png", ContentFile(content))
    return DocumentCheck.objects.create(
        ticket=ticket,
        customer=ticket.customer,
        document_type=DocumentType.choices[0][0],
        file=name,
        original_name="id.png",
        content_type="image/png",
        size=len(content),
        result=Result.PASSED,
        checked_by=agent,
        checked_at=timezone.now(),
    )


@pytest.mark.parametrize(
    ("content", "inline", "content_type"),
    [
        (_png().read(), True, "image/png"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", True, "application/pdf"),
        (SVG, False, "application/octet-stream"),
        (HTML, False, "application/octet-stream"),
    ],
)
def test_the_approver_sees_identity_documents_typed_by_their_bytes(
    avatar_ticket, personas, content, inline, content_type
):
    """Approvers of the ticket see its identity document (issue 11's view), audited; a
    file that is not what the upload decoded is downloaded, never rendered."""
    _submitted(avatar_ticket, personas)
    check = _document(avatar_ticket, personas["agent"], content)
    url = reverse("approvals:document", args=[avatar_ticket.reference, check.pk])
    response = signed_in(personas["supervisor"]).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("inline;" if inline else "attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert AuditEvent.objects.filter(
        action="verification.document_viewed", actor=personas["supervisor"]
    ).exists()
    assert signed_in(personas["agent"]).get(url).status_code == 403


def test_a_rejected_tickets_page_offers_no_picture(
    avatar_ticket, personas, django_capture_on_commit_callbacks
):
    _submitted(avatar_ticket, personas)
    with django_capture_on_commit_callbacks(execute=True):
        approval_reject(ticket=avatar_ticket, by=personas["supervisor"], reason="Not a face.")
    page = signed_in(personas["supervisor"]).get(
        reverse("tickets:detail", args=[avatar_ticket.reference])
    )
    assert 'data-testid="approval-panel"' in page.content.decode()
    assert _url(avatar_ticket) not in page.content.decode()


def test_a_picture_that_is_not_kept_is_not_linked(avatar_ticket, personas):
    """A demo placeholder name or a file lost to a failed write: the card says what the
    change is, and shows no broken image."""
    _submitted(avatar_ticket, personas)
    default_storage.delete(_item(avatar_ticket).new_value)
    page = signed_in(personas["supervisor"]).get(
        reverse("tickets:detail", args=[avatar_ticket.reference])
    )
    assert 'data-testid="avatar-image"' not in page.content.decode()
    assert "New image (PNG, 64 × 48 px)" in page.content.decode()
