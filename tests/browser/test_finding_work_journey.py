"""Finding work in a real browser (issue 14): the queue's rows and sorts, the search box
of every page ("/" focuses it), a customer's requests on the profile, security's queue
with claim and closing a report, and the queue at 200 % zoom without sideways scrolling.
Screenshots at 1366×768 in var/screenshots/find/."""

import datetime as dt
import re

import pytest
from playwright.sync_api import Browser, Page, expect

from profiledesk.confirmations.services import confirmations_create, report_confirm
from profiledesk.tickets.models import ChangeItem, State, Ticket
from tests.browser.conftest import SCREENSHOTS, VIEWPORT, sign_in
from tests.confirmations.conftest import email_change, link_token
from tests.tickets.queue_helpers import queue_ticket

pytestmark = pytest.mark.browser

SHOTS = SCREENSHOTS / "find"


def shot(page: Page, name: str, *, full_page: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=full_page)


@pytest.fixture
def backlog(northwind, customer, personas):
    """Open tickets of Grace Hopper with something captured, of several ages and risks."""
    made = []
    for n, (label, new, hours, score) in enumerate(
        [
            ("Primary e-mail", "g•••@example.net", 2, 15),
            ("Mobile phone", "+44 •••• ••9876", 30, 85),
            ("Postal address", "12 ••• Street", 6, 40),
        ]
    ):
        ticket = queue_ticket(
            northwind,
            customer=customer,
            due_in=dt.timedelta(minutes=20 * (n + 1)),
            state=State.ESCALATED if score >= 80 else State.NEW,
            assignee=personas["agent"] if score >= 80 else None,
        )
        ticket.created_at -= dt.timedelta(hours=hours)
        ticket.risk_score = score
        ticket.risk_level = "critical" if score >= 80 else "medium" if score >= 20 else "low"
        ticket.save(update_fields=["created_at", "risk_score", "risk_level"])
        ChangeItem.objects.create(
            ticket=ticket, section="contact", field="email", label=label, new_display=new
        )
        made.append(ticket)
    return made


def test_an_agent_finds_work_by_queue_sort_search_and_profile(page: Page, personas, backlog):
    sign_in(page, personas["agent"])
    expect(page.get_by_role("heading", name="Queue", exact=True)).to_be_visible()
    rows = page.locator("[data-queue-row]")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Grace Hopper")
    expect(rows.first).to_contain_text("Primary e-mail → g•••@example.net")
    shot(page, "queue-by-due")

    page.get_by_label("Sort by").select_option("risk")
    expect(rows.first).to_have_attribute("data-reference", backlog[1].reference)
    expect(page).to_have_url(re.compile(r"sort=risk"))
    page.get_by_label("Sort by").select_option("age")
    expect(rows.first).to_have_attribute("data-reference", backlog[1].reference)
    expect(rows.last).to_have_attribute("data-reference", backlog[0].reference)
    shot(page, "queue-by-age")

    # "/" from anywhere focuses the search box in the navigation (once the sorted page has
    # loaded, with the focus on no field: the sort's select takes typed keys itself).
    page.wait_for_load_state("load")
    page.locator("h1").first.click()
    page.keyboard.press("/")
    box = page.locator("[data-shortcut-search]")
    expect(box).to_be_focused()
    box.fill("grace hopper")
    box.press("Enter")
    expect(page.get_by_role("heading", name="Search tickets and customers")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/search/\?q=grace"))
    found = page.get_by_test_id("search-tickets")
    expect(found.locator("tbody tr")).to_have_count(3)
    results = page.get_by_test_id("search-results")
    expect(results).to_contain_text("Grace Hopper")
    expect(results.locator(".masked").first).to_contain_text("•")  # contacts stay masked
    shot(page, "search-by-name")

    # A reference opens the ticket.
    box = page.locator("[data-shortcut-search]")
    box.fill(backlog[2].reference.lower().replace("-0000", "-"))
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"/tickets/{backlog[2].reference}/$"))

    # The profile lists the open requests before anyone opens a duplicate.
    page.goto(f"/customers/{backlog[0].customer_id}/")
    requests = page.get_by_test_id("customer-open-tickets")
    expect(requests.locator("tbody tr")).to_have_count(3)
    shot(page, "profile-requests")


def test_a_card_number_typed_in_the_box_is_refused_and_reaches_no_url(
    browser: Browser, live_server, personas
):
    # Its own context: the refusal is a 400, which the `page` fixture counts as a problem.
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, personas["agent"])
        box = page.locator("[data-shortcut-search]")
        box.fill("4111 1111 1111 1111")
        with page.expect_response(lambda r: "/search/" in r.url) as answer:
            box.press("Enter")
        assert answer.value.status == 400
        expect(page.get_by_test_id("search-error")).to_contain_text("Card numbers are not searched")
        assert "4111" not in page.url
        assert "4111" not in page.content()
    finally:
        context.close()


@pytest.fixture
def report(customer):
    ticket, old = email_change(customer)
    messages = confirmations_create(ticket=ticket)
    to_old = next(m for m in messages if m.recipient == old)
    return report_confirm(token=link_token(to_old)).report_ticket


def test_security_claims_from_its_queue_and_closes_a_resolved_report(
    page: Page, personas, backlog, report
):
    security = personas["security"]
    sign_in(page, security)
    page.get_by_role("link", name="Security queue").click()
    expect(page.get_by_role("heading", name="Security queue")).to_be_visible()
    queue = page.get_by_test_id("security-queue")
    expect(queue.locator("tbody tr")).to_have_count(2)  # the escalated one and the report
    expect(queue).to_contain_text("Customer report")
    shot(page, "security-queue")

    escalated = backlog[1]
    row = queue.locator(f'tr[data-reference="{escalated.reference}"]')
    row.get_by_role("button", name=re.compile("Take over")).click()
    expect(page.get_by_role("status")).to_contain_text(f"You claimed {escalated.reference}.")
    assert Ticket.objects.get(pk=escalated.pk).assignee == security

    page.get_by_role("link", name=report.reference).click()
    page.get_by_role("button", name="Claim for security").click()
    expect(page.get_by_role("status")).to_contain_text(f"You claimed {report.reference}.")
    page.locator("summary", has_text="Close report").click()
    page.locator("#reason-closed").fill("Rollback applied; the customer confirmed by phone")
    shot(page, "report-closing")
    page.get_by_role("button", name="Close report", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"{report.reference} is closed.")
    assert Ticket.objects.get(pk=report.pk).state == State.CLOSED


def test_the_queue_reflows_at_200_percent_zoom(browser: Browser, live_server, personas, backlog):
    """1366×768 at 200 %: a 683×384 CSS-pixel viewport. Nothing scrolls sideways."""
    context = browser.new_context(
        viewport={"width": 683, "height": 384},
        device_scale_factor=2,
        base_url=live_server.url,
        locale="en-GB",
    )
    page = context.new_page()
    try:
        sign_in(page, personas["supervisor"])
        expect(page.locator("[data-queue-row]")).to_have_count(3)
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth,"
            " document.getElementById('queue').scrollWidth]"
        )
        assert widths[0] <= widths[1] and widths[2] <= widths[1], widths
        page.locator("[data-queue-row]").first.scroll_into_view_if_needed()
        shot(page, "queue-zoom-200")
        shot(page, "queue-zoom-200-full", full_page=True)
        page.goto("/search/?q=grace")
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], widths
        shot(page, "search-zoom-200")
    finally:
        context.close()
