"""The queue in a real browser: keyboard first (j / k / Enter / c), and the refresh every
20 seconds that asks in the background and keeps the agent's place."""

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from profiledesk.tickets.models import Ticket
from tests.browser import conftest as browser_fixtures
from tests.browser.conftest import sign_in
from tests.tickets.queue_helpers import queue_ticket

pytestmark = pytest.mark.browser
# The browser fixtures of tests/browser/: `screen` is its `page` (Chromium on live_server).
browser = browser_fixtures.browser
screen = browser_fixtures.page


@pytest.fixture
def three(northwind, customer):
    return [
        queue_ticket(northwind, customer=customer, due_in=dt.timedelta(minutes=10 * (n + 1)))
        for n in range(3)
    ]


def sign_in_to_the_queue(screen: Page, user) -> None:
    sign_in(screen, user)  # the desk's home is the queue
    expect(screen.get_by_role("heading", name="Queue", exact=True)).to_be_visible()
    screen.wait_for_function("window.queueMayRefresh !== undefined")  # queue.js is listening


def selected(screen: Page) -> str | None:
    return screen.evaluate("document.activeElement.dataset.reference || null")


def test_an_agent_moves_opens_and_claims_with_the_keyboard(screen: Page, personas, three):
    sign_in_to_the_queue(screen, personas["agent"])
    rows = screen.locator("[data-queue-row]")
    expect(rows).to_have_count(3)

    screen.keyboard.press("j")
    assert selected(screen) == three[0].reference
    screen.keyboard.press("j")
    screen.keyboard.press("j")
    screen.keyboard.press("j")  # stays on the last row
    assert selected(screen) == three[2].reference
    screen.keyboard.press("k")
    assert selected(screen) == three[1].reference

    # c claims the selected ticket, and the queue says so.
    screen.keyboard.press("c")
    expect(screen.get_by_role("status")).to_contain_text(f"You claimed {three[1].reference}.")
    assert Ticket.objects.get(pk=three[1].pk).assignee == personas["agent"]

    # Enter opens the selected ticket.
    screen.keyboard.press("j")
    screen.keyboard.press("Enter")
    expect(screen).to_have_url(re.compile(rf"/tickets/{three[0].reference}/$"))


def test_typing_in_a_filter_is_not_taken_for_a_shortcut(screen: Page, personas, three):
    sign_in_to_the_queue(screen, personas["agent"])
    screen.get_by_label("Risk").focus()
    screen.keyboard.press("j")
    assert selected(screen) is None


def test_the_refresh_asks_in_the_background_and_keeps_the_selected_row(
    screen: Page, personas, three, northwind, customer
):
    screen.clock.install()
    sign_in_to_the_queue(screen, personas["agent"])
    screen.keyboard.press("j")
    screen.keyboard.press("j")
    assert selected(screen) == three[1].reference
    newcomer = queue_ticket(northwind, customer=customer, due_in=dt.timedelta(minutes=1))

    with screen.expect_request(lambda r: "/tickets/" in r.url and r.method == "GET") as polled:
        screen.clock.run_for(21_000)
    headers = polled.value.all_headers()
    assert headers.get("x-desk-background") == "1"
    assert headers.get("hx-request") == "true"

    # The new ticket arrived at the top without a page load, and the agent's row kept focus.
    expect(screen.locator("[data-queue-row]").first).to_have_attribute(
        "data-reference", newcomer.reference
    )
    expect(screen.locator(f'[data-reference="{three[1].reference}"]')).to_be_focused()
