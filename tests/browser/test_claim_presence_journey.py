"""Issue 14, "one person at a time, and everyone knows", in two browsers at 1366x768.

An agent claims an unclaimed ticket from its page. A supervisor opens it: each sees the
other within a poll. The supervisor takes it over and starts verification while the
agent's page has not caught up yet; the agent's stale "Start verification" is answered
with what changed, not the state machine's refusal. Then the supervisor comments: the
agent's timeline card refreshes by itself and the live region announces only that.
Screenshots: var/screenshots/claim/.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from profiledesk.tickets.models import State, Ticket
from tests.browser.conftest import SCREENSHOTS, sign_in
from tests.browser.test_approval_journey import as_user  # noqa: F401 - a fixture
from tests.factories import claimed, complete_customer
from tests.verification.helpers import open_ticket

pytestmark = pytest.mark.browser

SHOTS = SCREENSHOTS / "claim"
POLL_MS = 12_000  # the strip polls every 4 s; a cold server may need a second round


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", caret="initial")


def test_two_people_on_one_ticket_see_each_other_and_a_stale_click_is_explained(
    page: Page,
    as_user,  # noqa: F811 - the fixture imported above
    personas,
    northwind,
):
    agent, supervisor = personas["agent"], personas["supervisor"]
    customer = complete_customer(northwind, legal_name="Ada Lovelace")
    ticket = open_ticket(customer, agent, verifying=False)
    claimed(ticket, None)  # arrived by e-mail, say: nobody's yet
    url = f"/tickets/{ticket.reference}/"

    # The agent claims it from the ticket page.
    sign_in(page, agent)
    page.goto(url)
    live = page.get_by_test_id("ticket-live")
    expect(live).to_contain_text("Nobody has claimed this ticket")
    expect(page.get_by_role("button", name="Start verification")).to_have_count(0)
    page.get_by_test_id("claim").click()
    expect(page.get_by_text(f"You claimed {ticket.reference}.")).to_be_visible()
    expect(live).to_contain_text("Claimed by you")
    shot(page, "01-agent-claimed")

    # The supervisor opens it: each sees the other.
    boss = as_user(supervisor)
    boss.goto(url)
    expect(boss.get_by_test_id("ticket-live")).to_contain_text(f"Claimed by {agent}")
    expect(boss.get_by_test_id("presence")).to_contain_text(f"{agent} is viewing")
    expect(page.get_by_test_id("presence")).to_contain_text(
        f"{supervisor} is viewing", timeout=POLL_MS
    )
    shot(page, "02-agent-sees-supervisor")
    shot(boss, "03-supervisor-sees-agent")

    # The agent's page misses the next polls (as in the 4 s between two): it still offers
    # "Start verification" when the supervisor has taken the ticket over and started it.
    page.route("**/live/**", lambda route: route.fulfill(status=204))
    boss.get_by_text("Take over…").click()
    boss.get_by_label("Why you take it over").fill("Customer asked for a supervisor")
    boss.get_by_test_id("take-over").click()
    expect(boss.get_by_text(f"You took over {ticket.reference}.")).to_be_visible()
    boss.get_by_role("button", name="Start verification").click()
    expect(boss.locator(".state-badge")).to_have_text("Verifying")
    shot(boss, "04-supervisor-took-over-and-started")

    page.get_by_role("button", name="Start verification").click()
    answer = page.get_by_text(
        re.compile(
            rf"{re.escape(str(supervisor))} started verification at \d\d:\d\d; "
            r"the page now shows it\."
        )
    )
    expect(answer).to_be_visible()
    expect(page.get_by_text("cannot become")).to_have_count(0)
    expect(page.locator(".state-badge")).to_have_text("Verifying")
    expect(page.get_by_test_id("ticket-live")).to_contain_text(f"Claimed by {supervisor}")
    shot(page, "05-agent-stale-click-explained")
    ticket.refresh_from_db()
    assert ticket.state == State.VERIFYING and ticket.assignee == supervisor

    # Live again: the supervisor comments; the agent's timeline refreshes without a reload
    # and the live region gets that one sentence (and nothing again on the next polls).
    page.unroute("**/live/**")
    page.evaluate("window.__notReloaded = true")
    boss.get_by_label("Add a comment").fill("Calling the customer back on the number on file.")
    boss.get_by_role("button", name="Comment").click()
    expect(page.get_by_test_id("timeline")).to_contain_text(
        "Calling the customer back", timeout=POLL_MS
    )
    assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"
    region = page.locator("[data-live-announce]")
    expect(region).to_contain_text(f"{supervisor} commented", timeout=POLL_MS)
    said = region.inner_text()
    page.wait_for_timeout(9_000)  # two more polls
    assert region.inner_text() == said, "the live region repeated itself"
    assert said.count("commented") == 1
    shot(page, "06-agent-sees-the-comment-live")

    # The agent can no longer work it: the wizard's step is refused with who has it.
    assert Ticket.objects.get(pk=ticket.pk).version > 0
