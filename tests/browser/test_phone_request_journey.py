"""Issue 3's key journey: an agent takes a phone request for an address change, from the
customer search to a submitted ticket, and finds it on the queue."""

import re

import pytest
from playwright.sync_api import Page, expect

from profiledesk.tickets.models import Ticket
from tests.browser.conftest import sign_in
from tests.factories import complete_customer

pytestmark = pytest.mark.browser


def test_agent_takes_an_address_change_by_phone_and_sees_it_on_the_queue(
    page: Page, personas, northwind
) -> None:
    complete_customer(northwind, legal_name="Katherine Johnson")
    sign_in(page, personas["agent"])

    # Find the caller.
    page.goto("/customers/")
    page.get_by_label("Find a customer").fill("katherine")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=re.compile(r"^NWE|^T-")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Katherine Johnson")

    # Start a request: by phone, contact details.
    page.get_by_role("link", name="New request").click()
    page.get_by_label("Channel").select_option("phone")
    page.get_by_label("What does the customer want to change?").select_option("contact")
    page.get_by_label("Summary").fill("Moving house")
    page.get_by_role("button", name="Next").click()

    # A wrong postal code is a message on the field; nothing is saved.
    page.get_by_label("Address line 1").fill("221B Baker Street")
    page.get_by_label("City").fill("London")
    page.get_by_label("Postal code").fill("NOT A CODE")
    page.get_by_role("button", name="Open the ticket").click()
    expect(page.locator("#id_address_postal_code")).to_have_class(re.compile("is-invalid"))
    assert not Ticket.objects.exists()

    page.get_by_label("Address line 1").fill("221B Baker Street")
    page.get_by_label("City").fill("London")
    page.get_by_label("Postal code").fill("nw1 6xe")
    page.get_by_role("button", name="Open the ticket").click()

    ticket = Ticket.objects.get()
    expect(page).to_have_url(re.compile(rf"/tickets/{ticket.reference}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(ticket.reference)
    expect(page.get_by_test_id("items")).to_contain_text("NW1")  # masked: NW1••••
    expect(page.get_by_role("button", name="Start verification")).to_be_visible()

    # The queue shows it, with its SLA.
    page.goto("/tickets/")
    row = page.locator("tr", has_text=ticket.reference)
    expect(row).to_be_visible()
    expect(row).to_contain_text(re.compile(r"due in|breached"))
