"""The queue's sorts (due time, age, risk): each a keyset over its own partial indexes, so
every open ticket appears exactly once across the pages, in order, whichever sort, page
size and ties; a page link of one sort is refused by another; the rows name the customer,
say what changes and how old the ticket is; and the page costs what it cost before."""

import datetime as dt
import itertools
import re

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from profiledesk.tickets.models import ChangeItem, State, Ticket
from profiledesk.tickets.selectors import SORT_KEYS, Cursor, QueueFilters, Sort, queue_for
from tests.conftest import signed_in
from tests.tickets.queue_helpers import queue_ticket, references_in

QUEUE = reverse("tickets:queue")
NEXT = re.compile(r'href="([^"]+)"[^>]*rel="next"')
BASE = timezone.now().replace(microsecond=0)


def _sort_key(sort: str):
    """What the queue promises for `sort`: its keys in their direction, then the id."""

    def key(ticket: Ticket):
        parts = []
        for field, descending in SORT_KEYS[sort]:
            value = getattr(ticket, field)
            if isinstance(value, dt.datetime):
                value = value.timestamp()
            parts.append(-value if descending else value)
        return (*parts, ticket.pk)

    return key


def _walk(staff, client_ids, sort, size):
    pages, after = [], None
    while True:
        page = queue_for(
            staff=staff,
            client_ids=client_ids,
            filters=QueueFilters(),
            sort=sort,
            after=after,
            size=size,
        )
        pages.append(page)
        if page.next_cursor is None:
            return pages
        after = page.next_cursor


# Few distinct values, so that ties (the same due time, age or score) are common.
_TICKETS = st.lists(
    st.tuples(
        st.integers(0, 5),  # due in N * 10 minutes
        st.integers(0, 5),  # opened N hours ago
        st.sampled_from([0, 15, 30, 55, 80, 100]),  # risk score
        st.sampled_from([State.NEW, State.VERIFYING, State.ESCALATED, State.CLOSED]),
    ),
    max_size=24,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tickets=_TICKETS, size=st.integers(1, 7), sort=st.sampled_from(list(Sort)))
def test_every_open_ticket_appears_exactly_once_in_order_whatever_the_sort(
    agent, northwind, customer, tickets, size, sort
):
    with transaction.atomic():
        made = []
        for due, age, score, state in tickets:
            ticket = queue_ticket(
                northwind, customer=customer, state=state, due_in=dt.timedelta(minutes=10 * due)
            )
            ticket.created_at = BASE - dt.timedelta(hours=age)
            ticket.sla_due_at = BASE + dt.timedelta(minutes=10 * due)
            ticket.risk_score = score
            ticket.save(update_fields=["created_at", "sla_due_at", "risk_score"])
            made.append(ticket)
        expected = sorted((t for t in made if t.is_open), key=_sort_key(sort))
        pages = _walk(agent, [northwind.pk], sort, size)
        seen = [t.pk for page in pages for t in page.tickets]
        assert seen == [t.pk for t in expected]
        assert all(len(page.tickets) <= size for page in pages)
        # And back: each "previous" cursor gives exactly the page before.
        for earlier, later in itertools.pairwise(pages):
            back = queue_for(
                staff=agent,
                client_ids=[northwind.pk],
                filters=QueueFilters(),
                sort=sort,
                before=later.previous_cursor,
                size=size,
            )
            assert [t.pk for t in back.tickets] == [t.pk for t in earlier.tickets]
        transaction.set_rollback(True)


def _sorted_backlog(northwind, customer):
    """Three open tickets whose orders all differ: due, age and risk each put another first."""
    soon_young_low = queue_ticket(northwind, customer=customer, due_in=dt.timedelta(minutes=5))
    late_old_mid = queue_ticket(northwind, customer=customer, due_in=dt.timedelta(hours=5))
    mid_mid_high = queue_ticket(northwind, customer=customer, due_in=dt.timedelta(hours=2))
    for ticket, age, score in [
        (soon_young_low, 1, 0),
        (late_old_mid, 30, 30),
        (mid_mid_high, 5, 80),
    ]:
        ticket.created_at = timezone.now() - dt.timedelta(hours=age)
        ticket.risk_score = score
        ticket.save(update_fields=["created_at", "risk_score"])
    return soon_young_low, late_old_mid, mid_mid_high


@pytest.mark.parametrize(
    ("sort", "order"),
    [("", [0, 2, 1]), ("due", [0, 2, 1]), ("age", [1, 2, 0]), ("risk", [2, 1, 0])],
)
def test_the_queue_page_sorts_by_due_time_age_or_risk(agent, northwind, customer, sort, order):
    tickets = _sorted_backlog(northwind, customer)
    response = signed_in(agent).get(QUEUE, {"sort": sort} if sort else {})
    assert response.status_code == 200
    assert references_in(response) == [tickets[n].reference for n in order]


@pytest.mark.parametrize("sort", ["age", "risk"])
def test_the_page_links_keep_the_sort_and_walk_every_ticket(agent, northwind, customer, sort):
    for n in range(60):
        ticket = queue_ticket(northwind, customer=customer, due_in=dt.timedelta(minutes=n))
        ticket.created_at = BASE - dt.timedelta(minutes=n % 7)
        ticket.risk_score = (n * 13) % 100
        ticket.save(update_fields=["created_at", "risk_score"])
    http, url, seen = signed_in(agent), f"{QUEUE}?sort={sort}", []
    while url:
        response = http.get(url.replace("&amp;", "&"))
        assert response.status_code == 200
        seen += references_in(response)
        match = NEXT.search(response.content.decode())
        url = match and match.group(1)
        assert url is None or f"sort={sort}" in url
    assert sorted(seen) == sorted(t.reference for t in Ticket.objects.all())
    assert len(seen) == len(set(seen)) == 60


def test_a_page_link_of_another_sort_is_refused_with_a_way_back(agent, northwind, customer):
    tickets = _sorted_backlog(northwind, customer)
    due_cursor = Cursor.of(tickets[0], Sort.DUE).encode()
    response = signed_in(agent).get(QUEUE, {"sort": "risk", "after": due_cursor})
    assert response.status_code == 400
    assert "another order" in response.content.decode()
    assert "Show the first page" in response.content.decode()


@pytest.mark.parametrize("junk", ["due", "risk", "age|x|1", "risk|80|1"])
def test_a_hand_made_cursor_is_a_400_never_a_500(agent, northwind, junk):
    import base64

    token = base64.urlsafe_b64encode(junk.encode()).decode().rstrip("=")
    response = signed_in(agent).get(QUEUE, {"sort": "risk", "after": token})
    assert response.status_code == 400


def test_an_unknown_sort_is_a_400(agent, northwind):
    response = signed_in(agent).get(QUEUE, {"sort": "created_at; DROP TABLE"})
    assert response.status_code == 400


def test_rows_name_the_customer_as_the_profile_does_say_what_changes_and_how_old(
    agent, northwind, customer
):
    ticket = queue_ticket(northwind, customer=customer)
    ticket.created_at = timezone.now() - dt.timedelta(hours=3, minutes=10)
    ticket.save(update_fields=["created_at"])
    for position, (label, new) in enumerate(
        [("Primary e-mail", "g•••@example.org"), ("Phone", "+44 •••• ••1234")]
    ):
        ChangeItem.objects.create(
            ticket=ticket,
            position=position,
            section="contact",
            field="email",
            label=label,
            new_display=new,
        )
    unmatched = queue_ticket(northwind)
    unmatched.summary = "By e-mail: please change my address"
    unmatched.save(update_fields=["summary"])
    page = signed_in(agent).get(QUEUE).content.decode()
    row = page[page.index(f'data-reference="{ticket.reference}"') :]
    row = row[: row.index("</tr>")]
    assert "Grace Hopper" in row and customer.number in row
    assert "Primary e-mail → g•••@example.org (+1 more change)" in row
    assert ">3\xa0hours<" in row  # timesince, a no-break space
    other = page[page.index(f'data-reference="{unmatched.reference}"') :]
    other = other[: other.index("</tr>")]
    assert "Not matched yet" in other and "By e-mail: please change my address" in other


@pytest.mark.parametrize("sort", ["due", "age", "risk"])
def test_each_sort_costs_the_same_queries_as_the_queue_did(
    agent, northwind, customer, django_assert_num_queries, sort
):
    for n in range(30):
        ticket = queue_ticket(northwind, customer=customer, due_in=dt.timedelta(minutes=n))
        ChangeItem.objects.create(ticket=ticket, section="contact", field="email", label="E-mail")
    http = signed_in(agent)
    http.get(QUEUE)  # the session's first request
    # Expect 8 queries, as before the sorts (test_queue_view), whatever the sort:
    #  1. the session                      2. the staff member
    #  3. their TOTP device                4. their permissions and role names (one)
    #  5. the clients they serve
    #  6. those clients' agents and supervisors (filter and reassign lists)
    #  7. the page of tickets: customer with name, assignee and client joined, the
    #     summary and item count as subqueries of the same query
    #  8. the count, capped at 1,001 rows
    with django_assert_num_queries(8):
        response = http.get(QUEUE, {"sort": sort})
    assert len(references_in(response)) == 30
