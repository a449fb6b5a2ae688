"""The queue in a real browser: keyboard first (j / k / Enter / c), and the refresh every
20 seconds that asks in the background and keeps the agent's place."""

import datetime as dt
import re

import pytest
import time_machine
from playwright.sync_api import Page, expect

from profiledesk.tickets.models import Ticket
from tests.browser.conftest import SCREENSHOTS, sign_in
from tests.tickets.queue_helpers import queue_ticket

pytestmark = pytest.mark.browser


@pytest.fixture
def three(northwind, customer):
    return [
        queue_ticket(northwind, customer=customer, due_in=dt.timedelta(minutes=10 * (n + 1)))
        for n in range(3)
    ]


def sign_in_to_the_queue(page: Page, user) -> None:
    sign_in(page, user)  # the desk's home is the queue
    expect(page.get_by_role("heading", name="Queue", exact=True)).to_be_visible()
    page.wait_for_function("window.queueMayRefresh !== undefined")  # queue.js is listening


def selected(page: Page) -> str | None:
    return page.evaluate("document.activeElement.dataset.reference || null")


def test_an_agent_moves_opens_and_claims_with_the_keyboard(page: Page, personas, three):
    sign_in_to_the_queue(page, personas["agent"])
    rows = page.locator("[data-queue-row]")
    expect(rows).to_have_count(3)

    page.keyboard.press("j")
    assert selected(page) == three[0].reference
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("j")  # stays on the last row
    assert selected(page) == three[2].reference
    page.keyboard.press("k")
    assert selected(page) == three[1].reference

    # c claims the selected ticket, and the queue says so.
    page.keyboard.press("c")
    expect(page.get_by_role("status")).to_contain_text(f"You claimed {three[1].reference}.")
    assert Ticket.objects.get(pk=three[1].pk).assignee == personas["agent"]

    # Enter opens the selected ticket.
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/tickets/{three[0].reference}/$"))


def test_typing_in_a_filter_is_not_taken_for_a_shortcut(page: Page, personas, three):
    sign_in_to_the_queue(page, personas["agent"])
    page.get_by_label("Risk").focus()
    page.keyboard.press("j")
    assert selected(page) is None


def test_the_refresh_asks_in_the_background_and_keeps_the_selected_row(
    page: Page, personas, three, northwind, customer
):
    page.clock.install()
    sign_in_to_the_queue(page, personas["agent"])
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert selected(page) == three[1].reference
    newcomer = queue_ticket(northwind, customer=customer, due_in=dt.timedelta(minutes=1))

    with page.expect_request(lambda r: "/tickets/" in r.url and r.method == "GET") as polled:
        page.clock.run_for(21_000)
    headers = polled.value.all_headers()
    assert headers.get("x-desk-background") == "1"
    assert headers.get("hx-request") == "true"

    # The new ticket arrived at the top without a page load, and the agent's row kept focus.
    expect(page.locator("[data-queue-row]").first).to_have_attribute(
        "data-reference", newcomer.reference
    )
    expect(page.locator(f'[data-reference="{three[1].reference}"]')).to_be_focused()


def test_the_refresh_waits_while_a_reassign_form_is_open(page: Page, personas, three):
    """queue.js holds the poll back (an htmx:confirm listener: the CSP lets htmx evaluate
    no trigger filter) while a supervisor has a reassign form open, then lets it go."""
    page.clock.install()
    sign_in_to_the_queue(page, personas["supervisor"])
    polls: list[str] = []

    def poll(request) -> None:
        if request.resource_type in ("xhr", "fetch") and "/tickets/" in request.url:
            polls.append(request.url)

    page.on("request", poll)
    page.get_by_text("Reassign").first.click()
    expect(page.locator("#queue details[open]")).to_have_count(1)
    page.clock.run_for(45_000)
    assert polls == []

    page.get_by_text("Reassign").first.click()  # closed again
    with page.expect_request(lambda r: "/tickets/" in r.url and r.method == "GET"):
        page.clock.run_for(21_000)
    assert polls and "/tickets/" in polls[-1]


def test_an_unchanged_list_is_answered_304_and_stays_a_changed_one_is_swapped_in(
    page: Page, personas, three, northwind, customer
):
    """The refresh sends the ETag of the list on screen; a 304 leaves the list as it is
    (htmx would otherwise swap in the empty body), a change comes back as the new list."""
    # The server's clock starts on a minute (the list is "as of" the minute) and runs.
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, 1, tzinfo=dt.UTC), tick=True):
        page.clock.install()
        sign_in_to_the_queue(page, personas["agent"])
        answers: list[tuple[int, str | None]] = []

        def answered(response) -> None:
            if response.request.resource_type in ("xhr", "fetch") and "/tickets/" in response.url:
                answers.append((response.status, response.request.headers.get("if-none-match")))

        page.on("response", answered)
        for _ in range(2):
            with page.expect_response(lambda r: "/tickets/" in r.url):
                page.clock.run_for(21_000)
        first, second = answers
        assert first == (200, None)  # the page itself carries no ETag: the list's first poll
        assert second[0] == 304 and second[1]
        expect(page.locator("[data-queue-row]")).to_have_count(3)  # not swapped for nothing

        newcomer = queue_ticket(northwind, customer=customer, due_in=dt.timedelta(minutes=1))
        with page.expect_response(lambda r: "/tickets/" in r.url):
            page.clock.run_for(21_000)
        assert answers[-1][0] == 200 and answers[-1][1] == second[1]
        expect(page.locator("[data-queue-row]").first).to_have_attribute(
            "data-reference", newcomer.reference
        )
        page.screenshot(path=str(SCREENSHOTS / "queue" / "queue_after_refresh.png"))
