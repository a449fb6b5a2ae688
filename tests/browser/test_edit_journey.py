"""Issue 14, "items can be edited until applied": the agent working an approved billing
ticket corrects the account holder with the caller, reads the values back from their own
screen before saving, and the ticket is back in ready with its approval void; a contact
change whose new e-mail is swapped after it was proven goes back to verification."""

import re

import pytest
from playwright.sync_api import Page, expect

from profiledesk.approvals.models import Approval
from profiledesk.tickets.models import State, Ticket
from tests.browser.conftest import SCREENSHOTS, sign_in
from tests.editing.helpers import BILLING, NEW_IBAN, captured, to_approved, to_ready
from tests.factories import complete_customer

pytestmark = pytest.mark.browser

SHOTS = SCREENSHOTS / "edit"


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", animations="disabled")


def test_an_approved_billing_change_is_edited_back_to_ready_with_its_approval_void(
    page: Page, personas, northwind
) -> None:
    agent = personas["agent"]
    grace = complete_customer(northwind, legal_name="Grace Hopper")
    ticket = to_ready(captured(grace, agent, category="billing", data=BILLING), agent)
    to_approved(ticket, agent, personas["supervisor"])

    sign_in(page, agent)
    page.goto(f"/tickets/{ticket.reference}/")
    expect(page.get_by_test_id("items")).to_be_visible()
    page.get_by_test_id("edit-change").click()
    expect(page.get_by_role("heading", name=re.compile("Edit the change"))).to_be_visible()
    expect(page.get_by_test_id("edit-consequences")).to_contain_text("Saving voids 1 approval")
    # The IBAN is not written back: the agent types it again, the masked one beside it.
    expect(page.get_by_label("IBAN")).to_have_value("")
    expect(page.get_by_test_id("retype")).to_contain_text("IBAN")
    expect(page.get_by_label("Account holder")).to_have_value("Grace Hopper")
    _shot(page, "1-edit-form")

    page.get_by_label("IBAN").fill(NEW_IBAN)
    page.get_by_label("Account holder").fill("Grace B. Hopper")
    toggle = page.get_by_role("button", name="Show what I typed")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    readback = page.locator("#readback")
    expect(readback).to_contain_text(NEW_IBAN)
    expect(readback).to_contain_text("Grace B. Hopper")
    page.get_by_label("Account holder").fill("Grace B Hopper")  # corrected as read back
    expect(readback).to_contain_text("Grace B Hopper")
    _shot(page, "2-read-back")

    page.get_by_role("button", name="Save the edited change").click()
    expect(page).to_have_url(re.compile(rf"/tickets/{ticket.reference}/$"))
    saved = page.get_by_role("status").filter(has_text="voided: it needs approving again")
    expect(saved).to_be_visible()
    expect(page.get_by_test_id("items")).to_contain_text("Grace B Hopper")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Change edited")
    expect(timeline).to_contain_text("Approvals voided")
    assert NEW_IBAN not in page.content()  # after saving, only the masked IBAN
    _shot(page, "3-back-in-ready")
    assert Ticket.objects.get(pk=ticket.pk).state == State.READY
    assert not Approval.objects.filter(ticket=ticket, voided_at__isnull=True).exists()
    expect(page.get_by_role("button", name="Submit for approval")).to_be_visible()


def test_swapping_a_proven_new_e_mail_sends_the_ticket_back_to_verification(
    page: Page, personas, northwind
) -> None:
    agent = personas["agent"]
    grace = complete_customer(northwind, legal_name="Grace Hopper")
    ticket = to_ready(captured(grace, agent, data={"email": "grace@example.org"}), agent)

    sign_in(page, agent)
    page.goto(f"/editing/tickets/{ticket.reference}/")
    page.get_by_label("New e-mail address").fill("grace@attacker.example")
    page.get_by_role("button", name="Save the edited change").click()
    expect(page.get_by_role("status").filter(has_text="back in verification")).to_be_visible()
    # The same item, its requested value changed: one line, masked before and after.
    expect(page.get_by_test_id("timeline")).to_contain_text(
        "E-mail address: g•••@example.org → g•••@attacker.example"
    )
    _shot(page, "4-back-in-verification")
    assert Ticket.objects.get(pk=ticket.pk).state == State.VERIFYING


def test_the_typist_reads_a_new_e_mail_back_before_opening_the_ticket(
    page: Page, personas, northwind
) -> None:
    grace = complete_customer(northwind, legal_name="Grace Hopper")
    sign_in(page, personas["agent"])
    page.goto(f"/tickets/new/{grace.pk}/?channel=phone&category=contact")
    page.get_by_label("New e-mail address").fill("grace.hopper1@example.org")
    page.get_by_role("button", name="Show what I typed").click()
    readback = page.locator("#readback")
    expect(readback).to_contain_text("grace.hopper1@example.org")
    page.get_by_label("New e-mail address").fill("grace.hopperl@example.org")  # "1" was "l"
    expect(readback).to_contain_text("grace.hopperl@example.org")
    expect(readback).to_be_in_viewport()
    _shot(page, "5-new-request-read-back")
    page.get_by_role("button", name="Open the ticket").click()
    expect(page.get_by_test_id("items")).to_contain_text("g•••@example.org")
    assert "grace.hopperl@example.org" not in page.content()  # masked once it is captured
