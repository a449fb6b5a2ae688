"""Issue 5's key journey: an agent submits a billing change, a supervisor of the same
client approves it from the approval queue and a second supervisor finds nothing left to
do; an organisation change needs a supervisor and then compliance; the agent who made a
ticket sees no approve button on it."""

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from profiledesk.approvals.services import approval_submit
from profiledesk.tickets.models import State, Ticket
from tests.approvals.helpers import ready_ticket, second
from tests.browser.conftest import TIMEOUT_MS, VIEWPORT, sign_in
from tests.factories import complete_customer

pytestmark = pytest.mark.browser


@pytest.fixture
def as_user(browser: Browser, live_server) -> Iterator[Callable[..., Page]]:
    """A signed-in page of its own for another staff member (a browser context each)."""
    contexts = []

    def open_as(user) -> Page:
        context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url, locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, user)
        return page

    yield open_as
    for context in contexts:
        context.close()


def approve_from_queue(page: Page, reference: str) -> None:
    page.goto("/approvals/")
    row = page.get_by_test_id("approval-row").filter(has_text=reference)
    row.get_by_role("button", name="Approve").click()
    expect(page.get_by_text(f"You approved {reference}.")).to_be_visible()


def test_a_billing_change_is_approved_once_and_an_organisation_change_twice(
    page: Page, as_user, personas, northwind
) -> None:
    agent, supervisor = personas["agent"], personas["supervisor"]
    grace = complete_customer(northwind, legal_name="Grace Hopper")
    billing = ready_ticket(grace, agent, category="billing")

    sign_in(page, agent)
    page.goto(f"/tickets/{billing.reference}/")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_text("Submitted for approval.")).to_be_visible()
    panel = page.get_by_test_id("approval-panel")
    expect(panel).to_contain_text("Waiting at tier 1 of 1")
    expect(page.get_by_test_id("approve")).to_have_count(0)  # the maker has no button

    boss = as_user(supervisor)
    approve_from_queue(boss, billing.reference)
    expect(boss.get_by_test_id("nothing-waiting")).to_be_visible()
    assert Ticket.objects.get(pk=billing.pk).state == State.APPROVED

    other = as_user(second("supervisor", northwind))
    other.goto("/approvals/")
    expect(other.get_by_test_id("nothing-waiting")).to_be_visible()

    organisation = ready_ticket(grace, agent, category="organisation")
    approval_submit(ticket=organisation, by=agent)
    compliance = as_user(personas["compliance"])
    compliance.goto("/approvals/")
    expect(compliance.get_by_test_id("nothing-waiting")).to_be_visible()  # tier 1 first
    approve_from_queue(boss, organisation.reference)
    approve_from_queue(compliance, organisation.reference)
    compliance.goto(f"/tickets/{organisation.reference}/")
    expect(compliance.get_by_test_id("approvals")).to_contain_text(re.compile("Tier 2: Approved"))
    assert Ticket.objects.get(pk=organisation.pk).state == State.APPROVED
