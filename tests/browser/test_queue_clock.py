"""The queue's SLA and age texts move on in the browser between refreshes (issue 20): an
unchanged list is answered 304 across minutes, and the agent still reads the texts the
server would render now — the same words, the badge's band, "updated at"."""

import datetime as dt
import re
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import dateformat
from playwright.sync_api import Page, expect

from profiledesk.policies.sla import sla_status
from profiledesk.tickets.selectors import ticket_age
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_queue_keyboard_journey import sign_in_to_the_queue
from tests.tickets.queue_helpers import queue_ticket

pytestmark = pytest.mark.browser
START = dt.datetime(2026, 3, 2, 10, 0, 1, tzinfo=dt.UTC)


def test_the_texts_move_on_with_the_time_and_a_304_says_when(
    page: Page, personas, northwind, customer
):
    with time_machine.travel(START, tick=True):
        ticket = queue_ticket(northwind, customer=customer, due_in=dt.timedelta(minutes=3))
        other = queue_ticket(northwind, customer=customer, due_in=dt.timedelta(hours=2))
        statuses: list[int] = []
        page.on(
            "response",
            lambda r: (
                statuses.append(r.status)
                if r.request.resource_type in ("xhr", "fetch") and "/tickets/" in r.url
                else None
            ),
        )
        page.clock.install()
        sign_in_to_the_queue(page, personas["agent"])
        row = page.locator(f'[data-reference="{ticket.reference}"]')
        sla = row.locator('[data-clock="sla"]')
        rendered_at = START.replace(second=0)
        expect(sla).to_have_text(sla_status(ticket, rendered_at)[1])  # "due in 3 min"
        expect(sla).to_have_class(re.compile(r"\bsla-due_soon\b"))

        # Twelve polls, 21 s apart on the browser's clock: the list's first (200, its
        # ETag), then unchanged ones (304) while the browser's clock reaches 10:04.
        for _ in range(12):
            with page.expect_response(lambda r: "/tickets/" in r.url):
                page.clock.run_for(21_000)
        later = rendered_at + dt.timedelta(minutes=4)
        band, text = sla_status(ticket, later)
        assert band == "breached"
        expect(sla).to_have_text(text)  # "breached less than a minute ago"
        expect(sla).to_have_class(re.compile(r"\bsla-breached\b"))
        expect(sla).not_to_have_class(re.compile(r"\bsla-due_soon\b"))
        expect(row.locator('[data-clock="age"]')).to_have_text(
            ticket_age(SimpleNamespace(created_at=ticket.created_at), later)
        )
        expect(
            page.locator(f'[data-reference="{other.reference}"] [data-clock="sla"]')
        ).to_have_text(sla_status(other, later)[1])

        # The server's own clock barely moved: its polls were 304s, not new lists.
        assert statuses and statuses[0] == 200 and set(statuses[1:]) == {304}
        zone = ZoneInfo(page.locator("#queue").get_attribute("data-clock-zone"))
        expect(page.locator('[data-clock="updated"]')).to_have_text(
            f"updated at {dateformat.time_format(later.astimezone(zone), 'H:i')}"
        )
        page.screenshot(path=str(SCREENSHOTS / "queue" / "queue_clock_moved_on.png"))
