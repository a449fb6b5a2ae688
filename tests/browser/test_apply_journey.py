"""Issue 6's key journey: an agent verifies a caller who changes their e-mail address
(an identity code read from the e-mail at a real local SMTP server, the new address
proven by a code of its own, security questions), applies the change, the client's CRM
receives the signed event at a real local webhook receiver, the old and the new
addresses get their confirmations, and the "this wasn't me" link in the old address's
e-mail, opened and confirmed, freezes the profile and opens an escalated ticket."""

import hashlib
import hmac
import json
import re
import time

import pytest
from playwright.sync_api import Browser, Page, expect

from profiledesk.intake.capture import drafts_for
from profiledesk.tickets.models import State, Ticket
from tests.browser.conftest import TIMEOUT_MS, VIEWPORT, sign_in
from tests.browser.test_verification_journey import (
    celery_in_process,  # noqa: F401 - a fixture
    code_received,
)
from tests.connectors.conftest import receiver  # noqa: F401 - a fixture
from tests.connectors.helpers import SECRET, connector_for
from tests.factories import complete_customer
from tests.messaging.conftest import smtp_server  # noqa: F401 - a fixture
from tests.verification.helpers import open_ticket

pytestmark = pytest.mark.browser

NEW_EMAIL = "ada.new@example.com"
REPORT_LINK = re.compile(r"https?://\S+/confirm/report/[^\s\"<>]+")


def confirmation_to(smtp, to: str):
    """The confirmation e-mail that reached `to` (codes went there before it)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for mail in smtp.messages:
            if to in mail["to"] and "your profile was changed" in mail["message"]["Subject"]:
                return mail["message"]
        time.sleep(0.1)
    raise AssertionError(f"no confirmation reached {to}")


def signature_ok(request: dict) -> bool:
    """The receiver's check, as docs/webhooks.md tells a client's engineers to make it."""
    timestamp = request["headers"]["x-profiledesk-timestamp"]
    digest = hmac.new(SECRET.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256)
    given = request["headers"]["x-profiledesk-signature"]
    return abs(time.time() - int(timestamp)) < 300 and hmac.compare_digest(
        "sha256=" + digest.hexdigest(), given
    )


def test_an_applied_email_change_reaches_the_crm_and_the_old_address_can_freeze_the_profile(
    page: Page,
    browser: Browser,
    live_server,
    settings,
    personas,
    northwind,
    smtp_server,  # noqa: F811 - the fixture imported above
    receiver,  # noqa: F811 - the fixture imported above
    celery_in_process,  # noqa: F811 - the fixture imported above
) -> None:
    settings.CONNECTOR_ALLOW_HTTP = True  # the receiver is plain http on 127.0.0.1
    settings.DESK_PUBLIC_URL = live_server.url  # the link in the e-mail leads here
    agent = personas["agent"]
    ada = complete_customer(northwind, legal_name="Ada Lovelace")
    old_email = ada.emails.get(is_primary=True)
    old_address = old_email.email
    connector_for(northwind, url=receiver.url, name="Northwind CRM", categories=["contact"])
    items = drafts_for(
        category="contact",
        cleaned_data={"email": NEW_EMAIL, "email_target": old_email.pk},
        customer=ada,
    )
    ticket = open_ticket(ada, agent, items=items, verifying=False)
    sign_in(page, agent)

    page.goto(f"/tickets/{ticket.reference}/")
    panel = page.get_by_test_id("verification")
    page.get_by_role("button", name="Start verification").click()

    # An identity code to the address on file, which the caller reads out.
    page.get_by_role("button", name="Send code", exact=True).click()
    expect(page.get_by_test_id("verification-notice")).to_contain_text("Code sent")
    page.get_by_label(re.compile("Code the customer reads out")).fill(
        code_received(smtp_server, old_address, 1)
    )
    page.get_by_role("button", name="Check code").click()
    expect(page.get_by_test_id("verification-notice")).to_contain_text("passed")

    # Dual confirmation: the new address proves itself with a code of its own.
    page.get_by_role("button", name="Send code to the new contact").click()
    expect(page.get_by_test_id("verification-notice")).to_contain_text("Code sent")
    page.get_by_label(re.compile("Code sent to the new contact")).fill(
        code_received(smtp_server, NEW_EMAIL, 1)
    )
    page.get_by_role("button", name="Check code").click()
    expect(page.get_by_test_id("verification-notice")).to_contain_text("new contact is proven")

    page.get_by_label("First school?").fill("st marys")
    page.get_by_role("button", name="Check answers").click()
    expect(page.get_by_test_id("verification-level")).to_contain_text("AL2 of AL2")
    expect(panel).not_to_contain_text("not proven yet")
    page.get_by_role("button", name="Mark verified").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("Verifying → Ready")

    page.get_by_role("button", name="Apply", exact=True).click()
    expect(page.get_by_text("Applied to the customer's profile.")).to_be_visible()
    old_email.refresh_from_db()
    assert old_email.email == NEW_EMAIL

    # The CRM got the event once, signed with its secret, with masked values only.
    assert len(receiver.requests) == 1
    [request] = receiver.requests
    assert signature_ok(request)
    event = json.loads(request["body"])
    assert (event["type"], event["ticket"], event["category"]) == (
        "profile.changed",
        ticket.reference,
        "contact",
    )
    # The CRM's scope holds e-mail addresses: it gets the new one in clear, on its row.
    [change] = [c for c in event["data"]["changes"] if c["field"] == "emailaddress.email"]
    assert (change["new"], change["row"]) == (NEW_EMAIL, old_email.pk)
    page.reload()
    expect(page.get_by_test_id("downstream")).to_contain_text("Delivered")

    # The old and the new address are both told; only the old one's link is used.
    to_new = confirmation_to(smtp_server, NEW_EMAIL)
    to_old = confirmation_to(smtp_server, old_address)
    assert ticket.reference in to_new["Subject"]
    text = to_old.get_body(preferencelist=("plain",)).get_content()
    assert NEW_EMAIL not in text
    link = REPORT_LINK.search(text).group(0)

    # The customer opens the link in a browser of their own and confirms.
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        customer_page = context.new_page()
        customer_page.goto(link)
        expect(customer_page.get_by_role("heading")).to_contain_text("Did you not make")
        customer_page.get_by_role("button", name=re.compile("I did not make this change")).click()
        expect(customer_page.get_by_role("heading")).to_contain_text("your profile is locked")
    finally:
        context.close()

    page.goto(f"/customers/{ada.pk}/")
    expect(page.get_by_text("Frozen", exact=True)).to_be_visible()
    escalated = Ticket.objects.get(customer=ada, state=State.ESCALATED)
    assert escalated.pk != ticket.pk
