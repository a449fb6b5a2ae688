"""The supervisor's and compliance's dashboards in Chromium: reached from the navigation,
filtered, a bar opened from the keyboard, the CSV downloaded; axe-clean; readable at
1366×768 and at 200 % zoom (no sideways scrolling). Screenshots in
var/screenshots/dashboards/."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from profiledesk.dashboards import registry
from profiledesk.demo.staff import DEMO_PASSWORD
from tests.browser.axe import axe_violations
from tests.browser.conftest import SCREENSHOTS, TIMEOUT_MS, sign_in
from tests.browser.test_zoom_and_outbox import ZOOM_200, sideways
from tests.dashboards.helpers import day_panel, hostile_panel, line_panel

pytestmark = pytest.mark.browser

SHOTS = SCREENSHOTS / "dashboards"


@pytest.fixture
def demo(settings, tmp_path, monkeypatch):
    settings.DEMO_MODE = True
    call_command(
        "seed_demo",
        customers=8,
        tickets=40,
        jobs=1,
        logins_file=tmp_path / "logins.txt",
        stdout=open("/dev/null", "w"),  # noqa: SIM115 - closed with the process
    )
    # A stacked and a line panel beside the now panels (the figures' own come at merge).
    monkeypatch.setattr(registry, "SUPERVISOR", [*registry.SUPERVISOR, day_panel, line_panel])
    monkeypatch.setattr(registry, "COMPLIANCE", [*registry.SUPERVISOR, hostile_panel])
    SHOTS.mkdir(parents=True, exist_ok=True)


def staff(username: str):
    return get_user_model().objects.get(username=username)


def test_a_supervisor_reads_the_floor_and_opens_a_bar_in_the_queue(page: Page, demo):
    sign_in(page, staff("northwind.supervisor"), password=DEMO_PASSWORD)
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_test_id("dashboard-zone")).to_contain_text("each client's own day")
    for title in ("Backlog now by state", "Backlog now by age", "SLA now", "SLA per day"):
        expect(page.get_by_role("heading", name=title, level=2)).to_be_visible()
    # Each chart's numbers are a table with a caption (the accessible alternative).
    expect(page.get_by_role("table", name="Backlog now by state: the numbers")).to_be_visible()
    page.screenshot(path=SHOTS / "supervisor-1366.png", full_page=True)
    page.screenshot(path=SHOTS / "supervisor-1366-fold.png")
    assert sideways(page) == []
    assert axe_violations(page) == []

    # One client: the page states its zone.
    page.get_by_label("Client", exact=True).select_option(label="Northwind Energy")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("dashboard-zone")).to_contain_text("Europe/London")

    # A bar from the keyboard: focus the "New" bar of the backlog and press Enter.
    bar = page.get_by_role("link", name=re.compile(r"^Open tickets, New: \d+ tickets"))
    bar.focus()
    expect(bar).to_be_focused()
    page.screenshot(path=SHOTS / "supervisor-bar-focused.png")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/tickets/\?client=\d+&state=new$"))
    expect(page.get_by_label("State")).to_have_value("new")
    page.screenshot(path=SHOTS / "queue-from-a-bar-1366.png")
    assert sideways(page) == []

    # The CSV of a panel, with the same filters.
    page.go_back()
    with page.expect_download() as download:
        page.get_by_role(
            "link", name=re.compile(r"^Download CSV\s+of Backlog now by state$")
        ).click()
    assert download.value.suggested_filename.startswith("backlog-state_")


def test_compliance_sees_its_dashboard_and_the_supervisors(page: Page, demo):
    sign_in(page, staff("northwind.compliance"), password=DEMO_PASSWORD)
    page.get_by_role("link", name="Dashboard", exact=True).click()
    page.get_by_role("link", name="Compliance dashboard").click()
    expect(page.get_by_role("heading", name="Compliance dashboard", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Hostile labels", level=2)).to_be_visible()
    page.screenshot(path=SHOTS / "compliance-1366.png", full_page=True)
    assert sideways(page) == []
    assert axe_violations(page) == []


@pytest.mark.parametrize(
    ("username", "path"),
    [("northwind.supervisor", "/dashboard/"), ("northwind.compliance", "/dashboard/compliance/")],
)
def test_the_dashboards_reflow_at_200_percent_zoom(
    browser: Browser, live_server, demo, username, path
):
    context = browser.new_context(
        viewport=ZOOM_200, device_scale_factor=2, base_url=live_server.url, locale="en-GB"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, staff(username), password=DEMO_PASSWORD)
        page.goto(path)
        page.wait_for_load_state("networkidle")
        name = "supervisor" if "supervisor" in username else "compliance"
        page.screenshot(path=SHOTS / f"{name}-zoom200.png")
        page.screenshot(path=SHOTS / f"{name}-zoom200-full.png", full_page=True)
        assert sideways(page) == []
        assert axe_violations(page) == []
    finally:
        context.close()
