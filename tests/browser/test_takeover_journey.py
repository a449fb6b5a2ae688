"""Issue 11's browser journey: the account-takeover sequence played in Chromium by a
careless agent who presses every button the desk offers.

1. An e-mail change, verified (a code to the old address, the questions, a code to the
   new address) and applied.
2. A password reset on the same customer: the cooling-off holds it; the wizard asks for
   AL3 and offers the document step; marked verified at AL2 anyway, it can be neither
   applied nor submitted, and "Verify again" leads back to the document step.
3. The agent uploads a 1x1 pixel PNG (refused on the field), then a photo-sized picture:
   AL3, yet the agent cannot apply it: a supervisor's approval is needed (the reason is
   shown) and the risk is high, every point named.
4. A card change: the e-mail installed in step 1 is shown greyed, with the reason, and is
   no destination for the identity code; with all three the risk is critical and
   submitting sends it to security.

A supervisor opens the reset's approval card and sees the identity document (an audited
view), and finds nothing to press on the escalated card change. Before any of it, the
agent's "Reveal" on the customer page is refused.
Screenshots of the key states go to var/screenshots/takeover/.
"""

import datetime as dt
import io
import re
import time

import pytest
import time_machine
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect

from audit.models import AuditEvent
from profiledesk.intake.capture import drafts_for
from profiledesk.messaging import sms
from profiledesk.policies.models import BusinessHours
from profiledesk.privacy.masking import mask_email
from profiledesk.tickets.models import State, Ticket
from tests.browser.conftest import SCREENSHOTS, sign_in
from tests.browser.test_approval_journey import as_user  # noqa: F401 - a fixture
from tests.browser.test_verification_journey import (
    celery_in_process,  # noqa: F401 - a fixture
    code_received,
)
from tests.factories import complete_customer, document_png
from tests.messaging.conftest import smtp_server  # noqa: F401 - a fixture
from tests.verification.helpers import open_ticket

pytestmark = pytest.mark.browser

SHOTS = SCREENSHOTS / "takeover"
MALLORY = "mallory@evil.example"
DOCUMENT_FIELD = re.compile(r"^Document \(PDF, JPEG or PNG")
CHECKLIST = [
    "The photo matches the caller",
    "The name matches the profile",
    "The document has not expired",
    "The document is of the type chosen",
]


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    # caret="initial": hiding the caret leaves an empty style="" on every input, which
    # htmx then copies onto the swapped-in inputs, and the CSP (rightly) refuses that.
    page.screenshot(path=SHOTS / f"{name}.png", caret="initial")


def sms_code(to: str, count: int) -> str:
    """The code in the `count`-th SMS to `to` (the test gateway keeps what it sent; the
    server thread sends it once its transaction commits)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        texts = [m["text"] for m in sms.outbox if m["to"] == to]
        if len(texts) >= count:
            return re.search(r"\b(\d{6})\b", texts[count - 1]).group(1)
        time.sleep(0.1)
    raise AssertionError(f"no SMS number {count} reached {to}")


def pixel_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), "white").save(buffer, "PNG")
    return buffer.getvalue()


def ticket_for(customer, agent, category: str, data: dict) -> Ticket:
    """A ticket the agent opened from the call (the capture form is another journey's)."""
    items = drafts_for(category=category, cleaned_data=data, customer=customer)
    return open_ticket(customer, agent, category=category, items=items, verifying=False)


def check_code(page: Page, label: str, code: str, notice: str) -> None:
    page.get_by_label(re.compile(label)).fill(code)
    page.get_by_role("button", name="Check code").click()
    expect(page.get_by_test_id("verification-notice")).to_contain_text(notice)


def answer_questions(page: Page) -> None:
    page.get_by_label("First school?").fill("st marys")
    page.get_by_role("button", name="Check answers").click()
    expect(page.get_by_test_id("verification-progress")).to_contain_text(
        "✔ Security questions: passed"
    )


def upload_document(page: Page, path) -> None:
    wizard = page.get_by_test_id("document")
    wizard.get_by_label("Document type").select_option(label="National identity card")
    wizard.get_by_label(DOCUMENT_FIELD).set_input_files(path)
    for box in CHECKLIST:
        wizard.get_by_label(box).check()
    wizard.get_by_role("button", name="Record document check").click()


@pytest.fixture
def grace(northwind):
    """A customer of long standing: her e-mail and two phones on file for 200 days.

    Northwind's desk is open around the clock here, so that the run does not depend on
    the hour (outside business hours adds 10 points: the services' test plays both)."""
    BusinessHours.objects.filter(client=northwind).delete()
    for day in range(7):
        BusinessHours.objects.create(
            client=northwind, weekday=day, opens=dt.time(0), closes=dt.time(0)
        )
    with time_machine.travel(timezone.now() - dt.timedelta(days=200), tick=False):
        return complete_customer(northwind, legal_name="Grace Hopper", phones=2)


def test_a_careless_agent_cannot_push_the_takeover_sequence_through(
    page: Page,
    as_user,  # noqa: F811 - the fixture imported above
    personas,
    grace,
    tmp_path,
    smtp_server,  # noqa: F811 - the fixture imported above
    celery_in_process,  # noqa: F811 - the fixture imported above
) -> None:
    agent, supervisor = personas["agent"], personas["supervisor"]
    sms.outbox.clear()
    old_email = grace.emails.get()
    old_address = old_email.email
    phone, other_phone = (p.number for p in grace.phones.order_by("-is_primary", "pk"))
    sign_in(page, agent)

    # 0. Before any verification, the customer page keeps everything masked: no Reveal.
    page.goto(f"/customers/{grace.pk}/")
    expect(page.get_by_test_id("reveal-refusal")).to_contain_text("Verify the caller")
    expect(page.get_by_role("button", name=re.compile("Reveal"))).to_have_count(0)
    assert old_address not in page.content()
    shot(page, "0-profile-reveal-refused")

    # 1. The e-mail change: a code to the old address, the new one proven, questions.
    email_change = ticket_for(
        grace, agent, "contact", {"email": MALLORY, "email_target": old_email.pk}
    )
    page.goto(f"/tickets/{email_change.reference}/")
    page.get_by_role("button", name="Start verification").click()
    page.get_by_label(re.compile(r"\(EMAIL\)")).check()
    page.get_by_role("button", name="Send code", exact=True).click()
    expect(page.get_by_test_id("verification-notice")).to_contain_text("Code sent")
    check_code(
        page, "Code the customer reads out", code_received(smtp_server, old_address, 1), "passed"
    )
    page.get_by_role("button", name="Send code to the new contact").click()
    expect(page.get_by_test_id("verification-notice")).to_contain_text("Code sent")
    check_code(
        page, "Code sent to the new contact", code_received(smtp_server, MALLORY, 1), "proven"
    )
    answer_questions(page)
    page.get_by_role("button", name="Mark verified").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("Verifying → Ready")
    page.get_by_role("button", name="Apply", exact=True).click()
    expect(page.get_by_text("Applied to the customer's profile.")).to_be_visible()
    panel = page.get_by_test_id("verification")
    # The fact names where the identity code went: the old address, not the new one the
    # change has since written into that row.
    fact = panel.get_by_test_id("verification-fact")
    expect(fact).to_contain_text("Verified AL2 at")
    expect(fact).to_contain_text(f"code to {mask_email(old_address)}, questions")
    expect(fact).not_to_contain_text("evil.example")
    expect(panel).not_to_contain_text("✘")
    shot(page, "1-email-change-applied")

    # 2. A password reset: the cooling-off asks for AL3; the new address gets no code.
    reset = ticket_for(grace, agent, "security", {"password_reset": True})
    page.goto(f"/tickets/{reset.reference}/")
    page.get_by_role("button", name="Start verification").click()
    expect(panel.get_by_test_id("verification-cooling-off")).to_contain_text(email_change.reference)
    expect(page.get_by_test_id("verification-level")).to_contain_text("AL0 of AL3")
    expect(panel).to_contain_text(
        f"AL3 while the cooling-off after {email_change.reference} holds."
    )
    withheld = panel.get_by_test_id("contact-withheld")
    expect(withheld).to_have_count(1)
    expect(withheld).to_contain_text("m•••@evil.example")
    expect(withheld.get_by_role("radio")).to_be_disabled()
    expect(page.get_by_test_id("document")).to_be_visible()  # the way out it promises
    expect(panel.get_by_test_id("verification-cooling-off")).not_to_contain_text("critical")
    shot(page, "2-reset-cooling-off")
    page.get_by_label(re.compile(r"•• ••" + phone[-4:])).check()
    page.get_by_role("button", name="Send code", exact=True).click()
    check_code(page, "Code the customer reads out", sms_code(phone, 1), "passed")
    answer_questions(page)
    expect(page.get_by_test_id("verification-level")).to_contain_text("AL2 of AL3")
    shot(page, "2-reset-al2-not-enough")
    # The careless agent marks it verified at AL2 anyway: nothing lets it through.
    page.get_by_role("button", name="Mark verified").click()
    expect(page.locator(".state-badge")).to_have_text("Ready")
    actions = page.get_by_role("region", name="Actions")
    expect(actions.get_by_role("button", name="Apply", exact=True)).to_have_count(0)
    expect(actions.get_by_role("button", name=re.compile("Submit"))).to_have_count(0)
    expect(page.get_by_test_id("cooling-off")).to_contain_text(
        "unless the caller is verified at AL3"
    )
    expect(page.get_by_test_id("approval-panel")).not_to_contain_text("verified at AL3 during")
    shot(page, "2-reset-al2-held")
    actions.get_by_role("button", name="Verify again").click()
    expect(page.get_by_test_id("verification-level")).to_contain_text("AL2 of AL3")
    expect(page.get_by_test_id("document")).to_be_visible()

    # 3. A 1x1 pixel "document": refused on the field, nothing recorded.
    pixel = tmp_path / "id.png"
    pixel.write_bytes(pixel_png())
    upload_document(page, pixel)
    errors = page.get_by_test_id("document-file-errors")
    expect(errors).to_contain_text("too small to be a photo or scan of an identity document")
    expect(page.get_by_label(DOCUMENT_FIELD)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("verification-level")).to_contain_text("AL2 of AL3")
    shot(page, "3-pixel-refused")
    # A photographed identity card: AL3.
    photo = tmp_path / "id-card.png"
    photo.write_bytes(document_png(size=(1200, 800)))
    upload_document(page, photo)
    expect(page.get_by_test_id("verification-level")).to_contain_text("AL3 of AL3")
    page.get_by_role("button", name="Mark verified").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("Verifying → Ready")
    # ... but the agent cannot apply it: a second person decides, and the risk is high.
    expect(page.get_by_role("button", name="Apply", exact=True)).to_have_count(0)
    approval = page.get_by_test_id("approval-panel")
    expect(approval).to_contain_text("Needs 2 tiers of approval")
    expect(approval).to_contain_text(
        f"verified at AL3 during the cooling-off after {email_change.reference}"
    )
    expect(page.get_by_test_id("cooling-off")).to_contain_text("a supervisor who did not create")
    risk = page.get_by_role("region", name=re.compile("Risk"))
    expect(risk.get_by_role("heading")).to_contain_text("High")
    reasons = page.get_by_test_id("risk-reasons")
    expect(reasons).to_contain_text(email_change.reference)
    expect(reasons.locator("li")).to_have_count(2)
    shot(page, "3-reset-al3-needs-approval")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_text("Submitted for approval.")).to_be_visible()

    # 4. The card change: the new address is greyed with its reason; a code to the
    #    other phone, questions, the document; critical, to security.
    card = ticket_for(
        grace,
        agent,
        "billing",
        {
            "card_number": "5555555555554444",
            "card_exp_month": 3,
            "card_exp_year": 2031,
            "card_holder_name": "MALLORY",
        },
    )
    page.goto(f"/tickets/{card.reference}/")
    page.get_by_role("button", name="Start verification").click()
    withheld = panel.get_by_test_id("contact-withheld")
    expect(withheld).to_contain_text("m•••@evil.example")
    expect(withheld).to_contain_text("not used for identity codes for 24 h")
    expect(withheld.get_by_role("radio")).to_be_disabled()
    expect(panel.get_by_test_id("verification-cooling-off")).to_contain_text(
        "At critical risk, submitting sends it to security instead."
    )
    shot(page, "4-card-email-withheld")
    page.get_by_label(re.compile(r"•• ••" + other_phone[-4:])).check()
    page.get_by_role("button", name="Send code", exact=True).click()
    check_code(page, "Code the customer reads out", sms_code(other_phone, 1), "passed")
    answer_questions(page)
    photo2 = tmp_path / "id-card-2.png"
    photo2.write_bytes(document_png(seed=2, size=(1200, 800)))
    upload_document(page, photo2)
    expect(page.get_by_test_id("verification-level")).to_contain_text("AL3 of AL3")
    page.get_by_role("button", name="Mark verified").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("Verifying → Ready")
    expect(page.get_by_role("button", name="Apply", exact=True)).to_have_count(0)
    expect(
        page.get_by_role("region", name=re.compile("Risk")).get_by_role("heading")
    ).to_contain_text("Critical")
    expect(page.get_by_test_id("cooling-off")).to_contain_text(
        "the risk is critical: submitting sends it to security"
    )
    shot(page, "4-card-critical")
    page.get_by_role("button", name=re.compile("Submit")).click()
    expect(page.locator(".state-badge")).to_have_text("Escalated to security")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("the full account-takeover sequence")
    expect(timeline).not_to_contain_text(".;")
    shot(page, "4-card-escalated")
    assert Ticket.objects.get(pk=card.pk).state == State.ESCALATED

    # The supervisor's approval card of the reset shows the identity document.
    boss = as_user(supervisor)
    boss.goto("/approvals/")
    row = boss.get_by_test_id("approval-row").filter(has_text=reset.reference)
    expect(row.get_by_test_id("documents")).to_contain_text("1200×800 px")
    shot(boss, "5-supervisor-approval-card")
    with boss.context.expect_page() as opened:
        row.get_by_test_id("document-link").click()
    document = opened.value
    document.wait_for_load_state()
    assert re.search(rf"/approvals/tickets/{reset.reference}/documents/\d+/$", document.url)
    assert document.evaluate("document.contentType") == "image/png"  # the picture itself
    seen = AuditEvent.objects.get(action="verification.document_viewed")
    assert seen.actor == supervisor

    # Nobody on the floor can apply the card change: the supervisor finds no button.
    boss.goto(f"/tickets/{card.reference}/")
    expect(boss.locator(".state-badge")).to_have_text("Escalated to security")
    boss_actions = boss.get_by_role("region", name="Actions")
    expect(boss_actions.get_by_role("button", name="Apply", exact=True)).to_have_count(0)
    expect(boss.get_by_role("button", name="Approve")).to_have_count(0)
    expect(boss.get_by_test_id("reveal-details")).to_have_count(0)  # not theirs to read
    shot(boss, "5-supervisor-escalated-card")
    assert not grace.cards.filter(holder_name="MALLORY").exists()
