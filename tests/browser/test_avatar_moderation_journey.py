"""Issue 14's moderation journey: an agent captures a new profile picture through the New
request page; the supervisor who moderates it sees the picture itself on the ticket
(served privately), approves it; the agent applies it; the profile then says
"Moderation: Approved" and the file has left `avatars/pending/`. The timeline speaks in
labels and names staff by their full names."""

import io
import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from profiledesk.customers.models import Avatar
from profiledesk.tickets.models import State, Ticket
from tests.approvals.helpers import verify
from tests.browser.conftest import SCREENSHOTS, sign_in
from tests.browser.test_approval_journey import as_user  # noqa: F401  (a fixture)
from tests.factories import complete_customer
from verification.services import verification_complete

pytestmark = pytest.mark.browser

SHOTS = SCREENSHOTS / "evidence"


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


def _picture() -> bytes:
    """A 256 × 256 picture an approver can tell apart: a face-like disc on teal."""
    image = Image.new("RGB", (256, 256), (0, 128, 128))
    draw = ImageDraw.Draw(image)
    draw.ellipse((48, 48, 208, 208), fill=(250, 210, 160))
    draw.ellipse((92, 100, 112, 120), fill=(30, 30, 30))
    draw.ellipse((144, 100, 164, 120), fill=(30, 30, 30))
    draw.arc((88, 120, 168, 180), start=20, end=160, fill=(120, 40, 40), width=6)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_the_approver_sees_the_picture_approves_it_and_the_moderation_completes(
    page: Page,
    as_user,  # noqa: F811  (the fixture imported above)
    personas,
    northwind,
    private_storage,
) -> None:
    agent, supervisor = personas["agent"], personas["supervisor"]
    grace = complete_customer(northwind, legal_name="Grace Hopper")
    SHOTS.mkdir(parents=True, exist_ok=True)

    # The agent captures the picture the caller sent, through the desk's own form.
    sign_in(page, agent)
    page.goto(f"/tickets/new/{grace.pk}/")
    page.get_by_label("Channel").select_option("phone")
    page.get_by_label("What does the customer want to change?").select_option("avatar")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("New picture").set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": _picture()}
    )
    page.get_by_role("button", name="Open the ticket").click()
    ticket = Ticket.objects.get()
    expect(page).to_have_url(re.compile(rf"/tickets/{ticket.reference}/$"))
    expect(page.get_by_test_id("items")).to_contain_text("New image (PNG, 256 × 256 px)")
    [pending] = _files(private_storage)
    assert pending.startswith("avatars/pending/")

    # Verified as the wizard would record it (its own journey is tested elsewhere), and
    # claimed by the agent working it.
    ticket.state = State.VERIFYING
    ticket.assignee = agent
    ticket.save(update_fields=["state", "assignee"])
    verify(ticket, agent)
    verification_complete(ticket=ticket, by=agent)
    page.reload()
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_text("Submitted for approval.")).to_be_visible()
    # The agent does not moderate: no picture is served to them.
    expect(page.get_by_test_id("avatar-image")).to_have_count(0)

    # The supervisor sees the picture itself, not only its description.
    boss = as_user(supervisor)
    boss.goto("/approvals/")
    card = boss.get_by_test_id("approval-row").filter(has_text=ticket.reference)
    expect(card.get_by_test_id("avatar-image")).to_be_visible()
    boss.screenshot(path=SHOTS / "approval-queue-avatar.png")
    boss.goto(f"/tickets/{ticket.reference}/")
    picture = boss.get_by_test_id("avatar-image")
    expect(picture).to_be_visible()
    expect(picture).to_have_attribute("src", re.compile(r"^/approvals/tickets/.+/avatar/\d+/$"))
    boss.wait_for_function(
        "img => img.complete && img.naturalWidth === 256", arg=picture.element_handle()
    )
    picture.scroll_into_view_if_needed()
    boss.screenshot(path=SHOTS / "approver-sees-avatar.png")
    boss.get_by_test_id("approve").click()
    expect(boss.get_by_text(f"You approved {ticket.reference}.")).to_be_visible()

    # The agent applies it; the moderation is complete and the file left pending.
    page.goto(f"/tickets/{ticket.reference}/")
    page.get_by_role("button", name="Apply", exact=True).click()
    expect(page.get_by_text("Applied to the customer's profile.")).to_be_visible()
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Pending approval → Approved")
    expect(timeline).to_contain_text(supervisor.get_full_name())
    expect(timeline).not_to_contain_text("pending_approval")
    timeline.scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "timeline-labels.png")

    avatar = Avatar.objects.get(customer=grace)
    assert avatar.moderation_status == Avatar.Moderation.APPROVED
    assert _files(private_storage) == [avatar.image.name]
    assert not avatar.image.name.startswith("avatars/pending/")

    boss.goto(f"/customers/{grace.pk}/")
    section = boss.locator("section", has=boss.get_by_role("heading", name="Avatar"))
    expect(section).to_contain_text("Moderation: Approved")
    section.scroll_into_view_if_needed()
    boss.screenshot(path=SHOTS / "profile-moderation-approved.png")
