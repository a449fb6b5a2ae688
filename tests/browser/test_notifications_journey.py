"""Issue 16's notifications: a supervisor's badge appears without reloading when a ticket
comes to wait for them (and is announced once); the approval queue refreshes itself and
announces the new ticket; the agent whose ticket was rejected finds it in their list.
Screenshots at 1366×768 and at 200 % zoom in var/screenshots/notifications/; axe-clean."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from profiledesk.approvals.services import approval_reject
from tests.browser.axe import axe_violations
from tests.browser.conftest import SCREENSHOTS, TIMEOUT_MS, sign_in
from tests.factories import complete_customer
from tests.notifications.helpers import pending_ticket

pytestmark = pytest.mark.browser
SHOTS = SCREENSHOTS / "notifications"


def shot(page: Page, name: str, *, full_page: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=full_page)


def poll_now(page: Page) -> None:
    """What showing the tab again does: the badges are asked at once (badges.js)."""
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")


@pytest.fixture
def fresh_counts(settings):
    settings.NOTIFICATIONS_BADGE_CACHE_SECONDS = 0  # each poll computes: no wait in the test


@pytest.fixture
def zoomed(browser: Browser, live_server) -> Iterator[Page]:
    """1366×768 at 200 %: a 683×384 CSS-pixel viewport."""
    context = browser.new_context(
        viewport={"width": 683, "height": 384},
        device_scale_factor=2,
        base_url=live_server.url,
        locale="en-GB",
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_a_badge_appears_without_reloading_and_the_approval_queue_refreshes_itself(
    page: Page, zoomed: Page, personas, northwind, fresh_counts
) -> None:
    grace = complete_customer(northwind, legal_name="Grace Hopper")
    sign_in(page, personas["supervisor"])
    badges = page.locator("#desk-badges")
    expect(badges.get_by_role("link", name="Notifications, 0 unread")).to_be_visible()
    expect(badges.locator('[data-badge="approvals"]')).to_be_hidden()

    first = pending_ticket(grace, personas["agent"])
    poll_now(page)
    approvals = badges.get_by_role("link", name="Approvals, 1 waiting for you")
    expect(approvals).to_be_visible()
    expect(approvals).to_contain_text("To approve 1")
    expect(page.locator("#desk-badges-news")).to_have_text("Approvals, 1 waiting for you.")
    shot(page, "badge-appeared")
    assert axe_violations(page) == []

    approvals.click()
    expect(page.get_by_test_id("approval-row")).to_have_count(1)
    second = pending_ticket(grace, personas["agent"])
    # The list asks again every 20 s by itself: the new ticket comes in and is announced.
    expect(page.get_by_test_id("approval-row")).to_have_count(2, timeout=30_000)
    expect(page.locator("#approval-news")).to_have_text(
        f"A new ticket waits for your approval: {second.reference}."
    )
    assert first.reference in page.get_by_test_id("approval-row").first.inner_text()
    shot(page, "approvals-refreshed")
    assert axe_violations(page) == []

    # At 200 % the navigation wraps; the badge keeps its count as text, nothing scrolls
    # sideways.
    sign_in(zoomed, personas["supervisor"])
    expect(
        zoomed.locator("#desk-badges").get_by_role("link", name="Approvals, 2 waiting for you")
    ).to_be_visible()
    widths = zoomed.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths
    shot(zoomed, "badge-zoom-200")
    assert axe_violations(zoomed) == []


def test_the_approval_queue_does_not_swap_a_reason_being_typed(
    page: Page, personas, northwind
) -> None:
    grace = complete_customer(northwind, legal_name="Grace Hopper")
    ticket = pending_ticket(grace, personas["agent"])
    sign_in(page, personas["supervisor"])
    page.goto("/approvals/")
    page.get_by_text("Reject…").click()
    page.get_by_label("Reason (recorded on the ticket)").fill("Caller could not")
    pending_ticket(grace, personas["agent"])
    page.wait_for_timeout(22_000)  # past one refresh period
    expect(page.get_by_test_id("approval-row")).to_have_count(1)
    expect(page.get_by_label("Reason (recorded on the ticket)")).to_have_value("Caller could not")
    assert ticket.reference in page.get_by_test_id("approval-row").inner_text()


def test_the_agent_finds_the_rejection_in_their_notifications(
    page: Page, zoomed: Page, personas, northwind, fresh_counts
) -> None:
    grace = complete_customer(northwind, legal_name="Grace Hopper")
    ticket = pending_ticket(grace, personas["agent"])
    sign_in(page, personas["agent"])
    badges = page.locator("#desk-badges")
    expect(badges.get_by_role("link", name="Notifications, 0 unread")).to_be_visible()
    approval_reject(ticket=ticket, by=personas["supervisor"], reason="Not the account holder")
    poll_now(page)
    link = page.locator("#desk-badges").get_by_role("link", name="Notifications, 1 unread")
    expect(link).to_be_visible()
    expect(page.locator("#desk-badges-news")).to_have_text("Notifications, 1 unread.")
    shot(page, "agent-badge")
    link.click()
    note = page.get_by_test_id("notification")
    expect(note).to_contain_text(f"{ticket.reference} was rejected.")
    expect(note).to_contain_text("Unread")
    shot(page, "list-1366")
    assert axe_violations(page) == []

    sign_in(zoomed, personas["agent"])
    zoomed.goto("/notifications/")
    expect(zoomed.get_by_test_id("notification")).to_have_count(1)
    widths = zoomed.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths
    shot(zoomed, "list-zoom-200", full_page=True)
    assert axe_violations(zoomed) == []

    note.get_by_role("button", name="Mark read").click()
    expect(page.get_by_test_id("notification")).to_contain_text("Read")
    expect(badges.get_by_role("link", name="Notifications, 0 unread")).to_be_visible()
    page.get_by_role("link", name=ticket.reference + " was rejected.").click()
    expect(page).to_have_url(re.compile(f"/tickets/{ticket.reference}/$"))
