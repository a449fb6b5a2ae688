"""Key journey: an agent finds a customer, sees the profile masked, reveals one value,
and the reveal is on record — on the page and in the audit log."""

import re

import pytest
from playwright.sync_api import Page, expect

from audit.models import AuditEvent
from tests.approvals.helpers import verify
from tests.browser.conftest import SCREENSHOTS, sign_in
from tests.factories import complete_customer
from tests.verification.helpers import open_ticket

pytestmark = pytest.mark.browser

CLEAR_EMAIL = "grace.hopper@example.com"
CLEAR_IBAN = "GB82 WEST 1234 5698 7654 32"  # BankAccountFactory's IBAN, as the vault shows it


@pytest.fixture
def grace(northwind, solaris):
    """Grace Hopper of Northwind, among customers the search must leave out."""
    grace = complete_customer(northwind, legal_name="Grace Hopper")
    email = grace.emails.get()
    email.email = CLEAR_EMAIL
    email.save(update_fields=["email"])
    complete_customer(northwind, legal_name="Ada Lovelace")
    complete_customer(solaris, legal_name="Grace Kelly")  # another client's customer
    return grace


def test_agent_reveals_a_masked_value_and_the_reveal_is_recorded(
    page: Page, personas, grace
) -> None:
    agent = personas["agent"]
    personal = grace.personal
    phone = grace.phones.get().number
    # Grace is on the line and verified on the agent's ticket: only then may the agent
    # reveal (issue 11; tests/customers/test_reveal.py covers the refusals).
    verify(open_ticket(grace, agent), agent, level=2)

    # An agent of Northwind signs in with a password and a code from their app.
    sign_in(page, agent)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Queue")  # their home page
    page.get_by_role("link", name="Customers").click()
    expect(page.get_by_role("heading", name="Find a customer")).to_be_visible()

    # They search by name: only their own client's Grace is found.
    page.get_by_label("Find a customer").fill("grace")
    page.keyboard.press("Enter")
    results = page.get_by_test_id("search-results")
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results).to_contain_text("Grace Hopper")
    expect(results).not_to_contain_text("Grace Kelly")
    expect(page).to_have_url(re.compile(r"/customers/\?q=grace$"))

    # They open the profile.
    results.get_by_role("link", name=grace.number).click()
    expect(page).to_have_url(re.compile(rf"/customers/{grace.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Hopper")

    # Contact and sensitive values are masked, and the clear values are nowhere in the page.
    expect(page.get_by_test_id("email")).to_contain_text("g•••@example.com")
    expect(page.get_by_test_id("phone")).to_contain_text(f"•• ••{phone[-4:]}")
    personal_card = page.get_by_role("region", name="Personal")
    expect(personal_card).to_contain_text("••/••/1984")
    expect(personal_card).to_contain_text("•••• 456C")
    expect(page.get_by_test_id("bank")).to_contain_text("•••• 5432")
    html = page.content()
    for clear in [CLEAR_EMAIL, phone, "1984-03-07", personal.national_id, CLEAR_IBAN, "GB82"]:
        assert clear not in html, f"{clear!r} is on the page before any reveal"
    access_log = page.get_by_test_id("access-log")
    expect(access_log).to_contain_text("Nothing revealed yet.")

    # They reveal the national ID: the clear value replaces the mask in place (htmx).
    personal_card.get_by_role("button", name="Reveal national ID").click()
    revealed = personal_card.get_by_test_id("revealed")
    expect(revealed).to_contain_text(personal.national_id)
    expect(revealed).to_contain_text("recorded")
    expect(revealed).to_be_focused()  # keyboard users carry on from where the button was
    expect(page).to_have_url(re.compile(rf"/customers/{grace.pk}/$"))  # no page change
    expect(personal_card.get_by_role("button", name="Reveal national ID")).to_have_count(0)
    # The other values stay masked.
    expect(personal_card).to_contain_text("••/••/1984")
    assert CLEAR_EMAIL not in page.content()

    # After a reload the ID is masked again, and the access log names the agent.
    page.reload()
    expect(page.get_by_role("region", name="Personal")).to_contain_text("•••• 456C")
    assert personal.national_id not in page.content()
    rows = page.get_by_test_id("access-log").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").nth(1)).to_have_text(agent.get_full_name())  # one name
    expect(rows.first.locator("td").nth(2)).to_have_text("national ID")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "profile.png")
    page.screenshot(path=SCREENSHOTS / "profile-full.png", full_page=True)

    # The audit log holds exactly that reveal, by that agent, of that customer.
    reveals = AuditEvent.objects.filter(action="customer.sensitive_revealed")
    event = reveals.get()
    assert event.actor == agent
    assert event.actor_username == agent.username
    assert event.client == grace.client
    assert (event.target_type, event.target_id) == ("customers.customer", str(grace.pk))
    assert event.data["field"] == "national_id"
    assert personal.national_id not in str(event.data)
