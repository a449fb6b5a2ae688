"""Keyset pagination of the queue: every open ticket exactly once, in order, no OFFSET."""

import datetime as dt
import itertools
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from profiledesk.tickets.models import State, Ticket
from profiledesk.tickets.selectors import Cursor, QueueFilters, queue_for
from tests.conftest import signed_in
from tests.tickets.queue_helpers import many_open_tickets, queue_ticket, references_in

QUEUE = reverse("tickets:queue")
NEXT = re.compile(r'href="([^"]+)"[^>]*rel="next"')
PREVIOUS = re.compile(r'href="([^"]+)"[^>]*rel="prev"')


@pytest.fixture
def backlog(northwind, customer):
    """23 open tickets, several due at the very same moment (ties broken by id), and
    closed ones in between that must never show."""
    now = timezone.now().replace(microsecond=0)
    tickets = []
    for n in range(23):
        due = dt.timedelta(minutes=10 * (n // 3))  # three tickets a due time
        tickets.append(queue_ticket(northwind, customer=customer, due_in=due, now=now))
        if n % 5 == 0:
            queue_ticket(northwind, customer=customer, due_in=due, now=now, state=State.CLOSED)
    return sorted(tickets, key=lambda t: (t.sla_due_at, t.pk))


def _walk(staff, client_ids, size):
    pages, after = [], None
    while True:
        page = queue_for(
            staff=staff, client_ids=client_ids, filters=QueueFilters(), after=after, size=size
        )
        pages.append(page)
        if page.next_cursor is None:
            return pages
        after = page.next_cursor


def test_walking_the_pages_gives_every_open_ticket_once_in_queue_order(backlog, agent, northwind):
    pages = _walk(agent, [northwind.pk], size=5)
    seen = [ticket.pk for page in pages for ticket in page.tickets]
    assert seen == [ticket.pk for ticket in backlog]
    assert [len(page.tickets) for page in pages] == [5, 5, 5, 5, 3]


def test_previous_goes_back_to_exactly_the_page_before(backlog, agent, northwind):
    pages = _walk(agent, [northwind.pk], size=5)
    for earlier, later in itertools.pairwise(pages):
        back = queue_for(
            staff=agent,
            client_ids=[northwind.pk],
            filters=QueueFilters(),
            before=later.previous_cursor,
            size=5,
        )
        assert [t.pk for t in back.tickets] == [t.pk for t in earlier.tickets]
    first = queue_for(
        staff=agent,
        client_ids=[northwind.pk],
        filters=QueueFilters(),
        before=pages[1].previous_cursor,
        size=5,
    )
    assert first.previous_cursor is None  # no "previous" on the first page


def test_a_ticket_claimed_or_closed_meanwhile_does_not_shift_the_next_page(
    backlog, agent, northwind
):
    first = queue_for(staff=agent, client_ids=[northwind.pk], filters=QueueFilters(), size=5)
    # Another agent finishes two tickets of the first page; with OFFSET the next page
    # would now skip two tickets. With a cursor it starts right after what was shown.
    for done in Ticket.objects.filter(pk__in=[t.pk for t in first.tickets[:2]]):
        done.state = State.CLOSED  # save(): history records it (docs/design.md §7)
        done.save(update_fields=["state"])
    second = queue_for(
        staff=agent,
        client_ids=[northwind.pk],
        filters=QueueFilters(),
        after=first.next_cursor,
        size=5,
    )
    assert [t.pk for t in second.tickets] == [t.pk for t in backlog[5:10]]


def test_the_page_links_walk_the_whole_queue_through_the_page(northwind, agent, customer):
    tickets = many_open_tickets(northwind, 120, customer=customer)
    http = signed_in(agent)
    url, seen, pages = QUEUE, [], 0
    while url:
        response = http.get(url.replace("&amp;", "&"))
        assert response.status_code == 200
        seen += references_in(response)
        pages += 1
        match = NEXT.search(response.content.decode())
        url = match and match.group(1)
    assert pages == 3
    assert seen == [t.reference for t in tickets]


def test_page_links_keep_the_filters(northwind, agent, customer):
    many_open_tickets(northwind, 60, customer=customer)
    page = signed_in(agent).get(QUEUE, {"channel": "email"}).content.decode()
    next_url = NEXT.search(page).group(1).replace("&amp;", "&")
    assert "channel=email" in next_url and "after=" in next_url
    second = signed_in(agent).get(next_url).content.decode()
    previous = PREVIOUS.search(second).group(1).replace("&amp;", "&")
    assert "channel=email" in previous and "before=" in previous and "after=" not in previous


def test_a_cursor_round_trips_and_anything_else_is_refused():
    cursor = Cursor("due", (dt.datetime(2026, 5, 1, 9, 30, 15, 123456, tzinfo=dt.UTC),), 4242)
    assert Cursor.decode(cursor.encode()) == cursor
    for junk in ["", "abc", "MjAyNi0wNS0wMQ", Cursor("due", cursor.values, 1).encode()[:-3]]:
        with pytest.raises(ValueError):
            Cursor.decode(junk)


def test_a_page_past_the_end_offers_the_way_back_to_the_first(northwind, agent):
    many_open_tickets(northwind, 3)
    beyond = Cursor("due", (timezone.now() + dt.timedelta(days=30),), 1).encode()
    page = signed_in(agent).get(QUEUE, {"after": beyond}).content.decode()
    assert "No open ticket matches" in page
    assert f'href="{QUEUE}"' in page and "First page" in page
