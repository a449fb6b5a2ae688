"""Browser fixtures: Chromium driven through Playwright's sync API against `live_server`.

`live_server` serves from a thread on a transactional database (each test's rows are
committed, then flushed). CI runs these on PostgreSQL through `tests/with_services.sh`;
they also pass on the in-memory SQLite fallback, whose one connection Django shares
with the server thread. Select or leave them out with `-m browser` / `-m "not browser"`.
"""

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.factories import TEST_PASSWORD

VIEWPORT = {"width": 1366, "height": 768}  # the desk's target monitor (docs/design.md §10)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
# Long enough for a cold first request, short enough that a missing element fails fast.
TIMEOUT_MS = 10_000


def chromium_path() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        pytest.fail(f"Chromium not found at {found}; install it (make system-test) or set CHROMIUM")
    return found


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the test, so that `page` can tell a failed test.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # Playwright's sync API runs an asyncio loop in this thread, and Django refuses ORM
    # calls from a thread with a running loop. The tests (and the fixtures that create
    # their data) are plain synchronous code, so the check is switched off while the
    # browser is up — which is until the end of the session, later test modules included.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
    )
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(request, browser: Browser, live_server) -> Iterator[Page]:
    """A fresh browser context (no cookies) on the live server, at 1366×768.

    The test fails if the page logs a JavaScript error or a request fails (a missing
    static file, a 500 behind an htmx swap); a failed test leaves a screenshot in
    var/screenshots/failures/.
    """
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console.{msg.type}: {msg.text} (at {msg.location}, on {page.url})")
            if msg.type == "error"
            else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            problems.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 400
            else None
        ),
    )
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        SCREENSHOTS.joinpath("failures").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "failures" / f"{name}.png", full_page=True)
    context.close()
    assert problems == [], "the browser reported problems:\n" + "\n".join(problems)


def totp_code(device: TOTPDevice) -> str:
    """A code `device` accepts now: computed from its key, as the staff member's app
    would, but never for a time step it has already used (django-otp refuses a step
    twice, so two sign-ins within 30 seconds need the next step's code)."""
    while True:
        device.refresh_from_db()
        now_t = (int(time.time()) - device.t0) // device.step + device.drift
        t = max(now_t, device.last_t + 1)
        if t <= now_t + device.tolerance:
            return f"{hotp(device.bin_key, t, digits=device.digits):0{device.digits}d}"
        time.sleep(1)


def sign_in_with_password(page: Page, user, *, password: str = TEST_PASSWORD) -> None:
    """Step 1 of 2 through the real form; leaves the page on the second-factor step."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/accounts/otp/"))


def sign_in(page: Page, user, *, password: str = TEST_PASSWORD) -> None:
    """Password, then a fresh code from the user's confirmed TOTP device."""
    sign_in_with_password(page, user, password=password)
    expect(page.get_by_role("heading", name="Authenticator code")).to_be_visible()
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    page.get_by_label("Code from your authenticator app").fill(totp_code(device))
    page.get_by_role("button", name="Verify").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/"))
