"""Key journey in a real browser: a compliance officer opens the audit-events list,
filters it to the reveals of one day, follows a row to the staff member's activity; the
page is axe-clean and reads at 1366×768 and at 200 % zoom (screenshots in
var/screenshots/audit-events/)."""

import datetime as dt

import pytest
from playwright.sync_api import Browser, Page, expect

from audit.events import events_url
from audit.services import audit_record
from tests.browser.axe import axe_violations
from tests.browser.conftest import SCREENSHOTS, TIMEOUT_MS, sign_in
from tests.browser.test_zoom_and_outbox import ZOOM_200, sideways
from tests.dashboards.compliance_helpers import event_at
from tests.factories import TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = SCREENSHOTS / "audit-events"
DAY = dt.date(2026, 12, 3)


@pytest.fixture
def events(northwind, personas, customer):
    ticket = TicketFactory(customer=customer, created_by=personas["agent"])
    at = dt.datetime(2026, 12, 3, 14, 5, tzinfo=dt.UTC)
    for minute in range(3):
        event_at(
            at + dt.timedelta(minutes=minute),
            "customer.sensitive_revealed",
            client=northwind,
            actor=personas["supervisor"],
            target=customer,
            data={"label": "National ID", "reason": "Client auditor request", "basis": "reason"},
        )
    event_at(at, "ticket.applied", client=northwind, actor=personas["agent"], target=ticket)
    event_at(at, "customer.frozen", client=northwind, target=customer, data={"reason": "x"})
    for _ in range(55):
        audit_record(action="export.downloaded", client=northwind, actor=personas["compliance"])
    return ticket


def test_compliance_filters_the_reveals_of_a_day_and_opens_who_did_them(
    page: Page, personas, northwind, events
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, personas["compliance"])
    page.goto("/audit/events/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit events")
    rows = page.get_by_test_id("audit-event")
    expect(rows).to_have_count(50)
    expect(page.get_by_role("link", name="Older →").first).to_be_visible()
    assert axe_violations(page) == []
    page.screenshot(path=SHOTS / "list-1366.png", full_page=False)

    page.get_by_label("Action", exact=True).select_option("customer.sensitive_revealed")
    page.get_by_label("From", exact=True).fill(DAY.isoformat())
    page.get_by_label("To", exact=True).fill(DAY.isoformat())
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("2026-12-03 14:07:00")
    expect(rows.first).to_contain_text("National ID")
    expect(page.locator("main")).not_to_contain_text("Client auditor request")
    assert axe_violations(page) == []
    page.screenshot(path=SHOTS / "filtered-1366.png", full_page=True)

    page.goto(events_url(client_ids=[northwind.pk], actions=["customer.sensitive_revealed"]))
    rows.first.get_by_role("link", name=personas["supervisor"].get_full_name()).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Activity of")


def test_the_list_and_its_errors_read_at_200_percent_zoom(
    browser: Browser, live_server, personas, events
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(
        viewport=ZOOM_200, device_scale_factor=2, base_url=live_server.url, locale="en-GB"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, personas["compliance"])
        page.goto("/audit/events/")
        expect(page.get_by_test_id("audit-event")).to_have_count(50)
        page.screenshot(path=SHOTS / "list-zoom200.png")
        page.get_by_test_id("audit-events").scroll_into_view_if_needed()
        page.screenshot(path=SHOTS / "table-zoom200.png")
        assert sideways(page) == []
        assert axe_violations(page) == []
        # Bad filters: errors on their fields (a 400), the page still whole and axe-clean.
        page.goto("/audit/events/?action=not.an.action&since=2026-02-31")
        expect(page.get_by_test_id("field-error")).to_have_count(2)
        assert axe_violations(page) == []
        page.screenshot(path=SHOTS / "errors-zoom200.png", full_page=True)
    finally:
        context.close()
