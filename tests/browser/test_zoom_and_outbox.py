"""At 200 % zoom (1366 × 768 CSS pixels halved: 683 px wide) the desk's pages reflow
instead of scrolling sideways (WCAG 1.4.10); the demo's Dev outbox fits 1366 px, is in
the desk admin's navigation, and reads as it was written."""

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from profiledesk.demo.staff import DEMO_PASSWORD
from profiledesk.tickets.models import Ticket
from tests.browser.axe import axe_violations
from tests.browser.conftest import SCREENSHOTS, TIMEOUT_MS, VIEWPORT, sign_in

pytestmark = pytest.mark.browser

ZOOM_200 = {"width": VIEWPORT["width"] // 2, "height": VIEWPORT["height"] // 2}


@pytest.fixture
def demo(settings, tmp_path):
    settings.DEMO_MODE = True
    call_command(
        "seed_demo",
        customers=8,
        tickets=30,
        jobs=1,
        logins_file=tmp_path / "logins.txt",
        stdout=open("/dev/null", "w"),  # noqa: SIM115 - closed with the process
    )


def sideways(page: Page) -> list[str]:
    """How far the page scrolls sideways, and the widest elements that make it."""
    return page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            if (document.documentElement.scrollWidth <= width) return [];
            const clipped = (e) => {
                for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
                    if (getComputedStyle(a).overflowX !== "visible") return true;
                }
                return false;
            };
            return [...document.querySelectorAll("body *")]
                .filter(e => e.getBoundingClientRect().right > width + 1 && !clipped(e))
                .slice(0, 8)
                .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join(".")} ` +
                          `right=${Math.round(e.getBoundingClientRect().right)} of ${width}`);
        }"""
    )


def open_zoomed(browser: Browser, live_server, username: str) -> Page:
    context = browser.new_context(
        viewport=ZOOM_200, device_scale_factor=2, base_url=live_server.url, locale="en-GB"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    from django.contrib.auth import get_user_model

    sign_in(page, get_user_model().objects.get(username=username), password=DEMO_PASSWORD)
    return page


@pytest.mark.parametrize("username", ["northwind.agent", "northwind.supervisor"])
def test_the_queue_and_every_ticket_state_reflow_at_200_percent_zoom(
    browser: Browser, live_server, demo, username
):
    page = open_zoomed(browser, live_server, username)
    SCREENSHOTS.joinpath("a11y").mkdir(parents=True, exist_ok=True)
    problems = {}
    try:
        page.goto("/tickets/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=SCREENSHOTS / "a11y" / f"zoom200-queue-{username}.png")
        if found := sideways(page):
            problems["/tickets/"] = found
        states = {}
        for ticket in Ticket.objects.filter(client__slug="northwind").order_by("pk"):
            states.setdefault(ticket.state, ticket.reference)
        for state, reference in states.items():
            page.goto(f"/tickets/{reference}/")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=SCREENSHOTS / "a11y" / f"zoom200-ticket-{state}.png")
            if found := sideways(page):
                problems[f"/tickets/{reference}/ ({state})"] = found
    finally:
        page.context.close()
    assert problems == {}, "pages that scroll sideways at 200 %:\n" + "\n".join(
        f"{url}: {found}" for url, found in problems.items()
    )


def test_the_dev_outbox_fits_1366_px_and_is_in_the_desk_admins_navigation(
    page: Page, personas, settings, tmp_path
):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    settings.SMS_GATEWAY = "profiledesk.messaging.sms.FileSink"
    settings.SMS_SINK_DIR = tmp_path / "sms"
    from django.core import mail

    from profiledesk.messaging.sms import FileSink

    long_link = "http://127.0.0.1:8000/confirm/report/" + "Ab1-" * 40
    mail.send_mail(
        "Your address was changed",
        f"We changed it to l•••@example.org. This wasn't you? {long_link}",
        "desk@example.org",
        ["grace.hopper.with.a.long.address@example.org"],
    )
    FileSink().send(to="+447700900123", text="Código: 123456 — José ✓", reference="r")

    sign_in(page, personas["desk_admin"])
    page.get_by_role("link", name="Dev outbox").click()
    expect(page.get_by_role("heading", name="Dev outbox")).to_be_visible()
    expect(page.get_by_text("l•••@example.org", exact=False)).to_be_visible()
    expect(page.get_by_text("Código: 123456 — José ✓")).to_be_visible()
    assert sideways(page) == []
    assert axe_violations(page) == []
    SCREENSHOTS.joinpath("a11y").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "a11y" / "dev-outbox.png", full_page=True)
