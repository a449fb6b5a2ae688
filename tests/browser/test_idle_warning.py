"""The warning before the idle sign-out, in a real browser: it opens as a modal dialog
shortly before the limit, "Stay signed in" keeps the session on the server, and doing
nothing signs out as before. The limits are shortened to seconds for the test."""

import datetime as dt
import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import axe_violations
from tests.browser.conftest import SCREENSHOTS, sign_in

pytestmark = pytest.mark.browser

IDLE, WARN = 14, 10  # seconds: the dialog opens ~4 s after the last activity


@pytest.fixture
def short_limits(settings):
    settings.SESSION_IDLE_TIMEOUT = dt.timedelta(seconds=IDLE)
    settings.SESSION_IDLE_WARNING = dt.timedelta(seconds=WARN)


def warning(page: Page):
    return page.get_by_role("dialog", name="Are you still there?")


def test_stay_signed_in_keeps_the_session_past_the_idle_limit(page: Page, personas, short_limits):
    sign_in(page, personas["agent"])
    active_at = time.monotonic()
    dialog = warning(page)
    expect(dialog).to_be_visible(timeout=(IDLE - WARN + 4) * 1000)
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    expect(dialog).to_contain_text("you will be signed out in")
    assert axe_violations(page) == []
    SCREENSHOTS.joinpath("a11y").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "a11y" / "idle-warning.png")
    stay.click()
    expect(dialog).to_be_hidden()
    # Past the limit counted from the last page: still signed in, because the server
    # was told. A background poll would not have done it (tests/accounts/).
    time.sleep(max(0.0, IDLE + 1 - (time.monotonic() - active_at)))
    page.goto("/accounts/sessions/")
    expect(page).to_have_url(re.compile(r"/accounts/sessions/"))
    expect(page.get_by_role("heading", name="My sessions")).to_be_visible()


def test_escape_counts_as_being_there(page: Page, personas, short_limits):
    sign_in(page, personas["supervisor"])
    dialog = warning(page)
    expect(dialog).to_be_visible(timeout=(IDLE - WARN + 4) * 1000)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    time.sleep(WARN - 2)
    page.goto("/accounts/sessions/")
    expect(page).to_have_url(re.compile(r"/accounts/sessions/"))


def test_doing_nothing_signs_out_and_says_why(page: Page, personas, short_limits):
    sign_in(page, personas["agent"])
    expect(warning(page)).to_be_visible(timeout=(IDLE - WARN + 4) * 1000)
    expect(page).to_have_url(re.compile(r"/accounts/login/"), timeout=(WARN + 5) * 1000)
    expect(page.get_by_text(re.compile("signed out after"))).to_be_visible()
