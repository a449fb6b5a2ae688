"""Issue 14's "any ticket can be completed": a request that arrives without a customer
and without a change — an e-mail through the inbound webhook, a client app's request
through the API without `customer` — is taken from arrival to closed on the ticket page:
find and match the customer, capture the change beside the message it came with (the
e-mail), verify the caller, have a supervisor approve where the policy asks, apply, the
customer is told, and the ticket closes. Screenshots in var/screenshots/match/."""

import re
import time
import uuid

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from profiledesk.api.keys import api_key_create
from profiledesk.inbound.signature import sign
from profiledesk.tickets.models import State, Ticket
from tests.browser.conftest import SCREENSHOTS, sign_in
from tests.browser.test_approval_journey import approve_from_queue, as_user  # noqa: F401
from tests.browser.test_verification_journey import (
    celery_in_process,  # noqa: F401 - a fixture
    code_received,
)
from tests.factories import complete_customer
from tests.inbound.conftest import BOUNDARY, NORTHWIND_INBOX, SECRET, multipart, png_bytes
from tests.messaging.conftest import smtp_server  # noqa: F401 - a fixture

pytestmark = pytest.mark.browser

SHOTS = SCREENSHOTS / "match"
CARD = "4111 1111 1111 1111"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png")


def claim_from_the_ticket(page: Page, ticket: Ticket) -> None:
    """The floor claims a ticket before working it (issue 14's "one person at a time"):
    nobody has one that arrived by e-mail or the API, and nothing can be done on it yet."""
    live = page.get_by_test_id("ticket-live")
    expect(live).to_contain_text("Nobody has claimed this ticket")
    page.get_by_test_id("claim").click()
    expect(page.get_by_text(f"You claimed {ticket.reference}.")).to_be_visible()
    expect(live).to_contain_text("Claimed by you")


def match_from_the_ticket(page: Page, query: str, name: str, prefix: str) -> None:
    card = page.get_by_test_id("match")
    card.get_by_role("searchbox", name="Find the customer").fill(query)
    card.get_by_role("button", name="Search").click()
    expect(card.get_by_test_id("match-results")).to_contain_text(name)
    expect(card.get_by_test_id("match-results")).to_contain_text("•")  # contacts masked
    shot(page, f"{prefix}-2-search-results")
    card.get_by_role("button", name=re.compile(f"Match to {name}")).click()
    expect(page.get_by_text(re.compile(r"is matched to"))).to_be_visible()


def verify_with_code_and_answers(page: Page, smtp, address: str) -> None:
    page.get_by_role("button", name="Start verification").click()
    page.get_by_role("button", name="Send code", exact=True).click()
    expect(page.get_by_test_id("verification-notice")).to_contain_text("Code sent")
    page.get_by_label(re.compile("Code the customer reads out")).fill(
        code_received(smtp, address, 1)
    )
    page.get_by_role("button", name="Check code").click()
    expect(page.get_by_test_id("verification-progress")).to_contain_text("One-time code: passed")
    if not page.get_by_role("button", name="Mark verified").is_visible():
        page.get_by_label("First school?").fill("st marys")
        page.get_by_role("button", name="Check answers").click()
    page.get_by_role("button", name="Mark verified").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("Verifying → Ready")


def apply_and_see_it_closed(page: Page, ticket: Ticket, prefix: str) -> None:
    page.get_by_role("button", name="Apply", exact=True).click()
    expect(page.get_by_text("Applied to the customer's profile.")).to_be_visible()
    # The confirmation is sent on commit (Celery eager here); its delivery closes the ticket.
    deadline = time.monotonic() + 10
    while Ticket.objects.get(pk=ticket.pk).state != State.CLOSED:
        assert time.monotonic() < deadline, Ticket.objects.get(pk=ticket.pk).state
        time.sleep(0.2)
    page.reload()
    expect(page.get_by_test_id("timeline")).to_contain_text("Applied → Closed")
    expect(page.get_by_test_id("confirmations")).to_be_visible()
    shot(page, f"{prefix}-9-closed")


def test_an_unmatched_email_is_matched_captured_verified_applied_and_closed(
    page: Page,
    live_server,
    settings,
    personas,
    northwind,
    smtp_server,  # noqa: F811 - the fixture imported above
    celery_in_process,  # noqa: F811 - the fixture imported above
) -> None:
    settings.INBOUND_EMAIL_SECRET = SECRET
    settings.DESK_PUBLIC_URL = live_server.url
    agent = personas["agent"]
    grace = complete_customer(northwind, legal_name="Grace Hopper")
    on_file = grace.emails.get(is_primary=True).email

    # The provider's inbound-parse webhook, signed, from an address the desk does not know.
    body = multipart(
        {
            "from": "Grace H <g.hopper.home@mail.example>",
            "to": NORTHWIND_INBOX,
            "subject": "Please stop the text messages",
            "text": "Hello,\nplease stop sending me service text messages.\nGrace Hopper",
            "attachment1": SimpleUploadedFile("letter.png", png_bytes(), "image/png"),
        }
    )
    answer = requests.post(
        f"{live_server.url}/inbound/email/",
        data=body,
        headers={
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            **sign(body, secret=SECRET),
        },
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    ticket = Ticket.objects.get(channel="email")
    assert ticket.customer is None and not ticket.items.exists()

    sign_in(page, agent)
    page.goto(f"/tickets/{ticket.reference}/")
    claim_from_the_ticket(page, ticket)
    expect(page.get_by_test_id("match")).to_be_visible()
    expect(page.get_by_role("button", name="Start verification")).to_have_count(0)
    shot(page, "email-1-unmatched")
    match_from_the_ticket(page, "Grace Hopper", "Grace Hopper", "email")
    shot(page, "email-3-matched")

    # Capture, beside the e-mail and its attachment.
    card = page.get_by_test_id("capture-card")
    card.get_by_label("What does the customer want to change?").select_option("preferences")
    card.get_by_role("button", name="Capture the change").click()
    original = page.get_by_test_id("original-message")
    expect(original).to_contain_text("please stop sending me service text messages")
    expect(original.get_by_test_id("attachments")).to_contain_text("letter.png")
    with page.expect_download() as download:
        original.get_by_role("link", name="letter.png").click()
    assert download.value.suggested_filename == "letter.png"
    page.locator('input[name="sms_notifications"][value="False"]').check()
    shot(page, "email-4-capture")
    page.get_by_role("button", name="Capture the change").click()
    expect(page.get_by_text("The change is captured.")).to_be_visible()
    expect(page.get_by_test_id("items")).to_contain_text("Service SMS")
    shot(page, "email-5-captured")

    verify_with_code_and_answers(page, smtp_server, on_file)
    apply_and_see_it_closed(page, ticket, "email")
    grace.preferences.refresh_from_db()
    assert grace.preferences.sms_notifications is False


def test_an_api_request_without_a_customer_is_matched_approved_applied_and_closed(
    page: Page,
    as_user,  # noqa: F811 - the fixture imported above
    live_server,
    settings,
    personas,
    northwind,
    smtp_server,  # noqa: F811 - the fixture imported above
    celery_in_process,  # noqa: F811 - the fixture imported above
) -> None:
    settings.DESK_PUBLIC_URL = live_server.url
    agent, supervisor = personas["agent"], personas["supervisor"]
    ada = complete_customer(northwind, legal_name="Ada Lovelace")
    on_file = ada.emails.get(is_primary=True).email
    _key, raw = api_key_create(client=northwind, name="Mobile app")

    # The client's app, with its key, knows the card but not the customer number.
    answer = requests.post(
        f"{live_server.url}/api/v1/change-requests/",
        json={
            "category": "billing",
            "changes": {
                "card_number": CARD,
                "card_exp_month": 12,
                "card_exp_year": 2030,
                "card_holder_name": "Ada Lovelace",
            },
            "summary": "New card added in the app",
            "comment": "Signed in as ada.l (app user 8812); says she is Ada Lovelace.",
        },
        headers={"Authorization": f"Bearer {raw}", "Idempotency-Key": str(uuid.uuid4())},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    ticket = Ticket.objects.get(reference=answer.json()["reference"])
    assert ticket.customer is None and ticket.items.exists()

    sign_in(page, agent)
    page.goto(f"/tickets/{ticket.reference}/")
    claim_from_the_ticket(page, ticket)
    expect(page.get_by_test_id("items")).to_contain_text("1111")
    shot(page, "api-1-unmatched")
    match_from_the_ticket(page, "Lovelace", "Ada Lovelace", "api")
    expect(page.get_by_test_id("capture-card")).to_have_count(0)  # the API brought the change
    shot(page, "api-3-matched")

    verify_with_code_and_answers(page, smtp_server, on_file)
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_text("Submitted for approval.")).to_be_visible()
    boss = as_user(supervisor)
    approve_from_queue(boss, ticket.reference)
    page.reload()
    shot(page, "api-8-approved")
    apply_and_see_it_closed(page, ticket, "api")
    assert ada.cards.filter(last4="1111").exists()
