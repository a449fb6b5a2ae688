"""htmx settles no style attribute under the Content-Security-Policy.

When htmx swaps in an element with the id of one on screen, it copies the old element's
settled attributes onto the new one with setAttribute. A style the desk's scripts set
through the CSSOM (a progress bar's width; Playwright's hidden caret during a screenshot,
which made the dashboard journey fail once in CI when the queue refreshed mid-shot) would
be copied as an inline style="" attribute, which the policy blocks and the browser
reports. The page fixture fails the test on any such console error."""

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in
from tests.tickets.queue_helpers import queue_ticket

pytestmark = pytest.mark.browser


def test_a_swap_over_an_element_with_a_script_set_style_breaks_no_policy(
    page: Page, northwind, customer, personas
):
    queue_ticket(northwind, customer=customer, due_in=dt.timedelta(hours=2))
    sign_in(page, personas["agent"])
    page.goto("/tickets/")
    expect(page.get_by_test_id("queue")).to_be_visible()
    settled = page.evaluate(
        """() => new Promise((resolve) => {
            const queue = document.getElementById("queue");
            queue.style.setProperty("caret-color", "transparent", "important");
            document.body.addEventListener("htmx:afterSettle", () => resolve(true), {once: true});
            htmx.ajax("GET", location.pathname, {target: "#queue", swap: "outerHTML"});
        })"""
    )
    assert settled
    # The list is still there, and the new element carries no copied inline style.
    expect(page.get_by_test_id("queue")).to_be_visible()
    assert page.evaluate('document.getElementById("queue").getAttribute("style")') is None
