"""The desk's search box (tickets/search_views.py): tickets by reference, customers by
number, name, e-mail or phone with their tickets, masked, within the staff member's
clients; a card number is refused before it reaches a URL; hostile strings are a clear
answer, never a 500; another client's data neither shows nor costs anything."""

import re

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from profiledesk.tickets.models import ChangeItem, State
from profiledesk.tickets.selectors import desk_search, reference_in
from tests.conftest import signed_in
from tests.customers.test_search import _customer
from tests.tickets.queue_helpers import queue_ticket

SEARCH = reverse("search")


@pytest.fixture
def grace(northwind):
    return _customer(
        northwind,
        number="NWE-0001234",
        name="Grace Hopper",
        email="grace.hopper@example.com",
        phone="+447700900123",
    )


@pytest.fixture
def carmen(solaris):
    return _customer(
        solaris,
        number="SOL-0000042",
        name="Carmen Ruiz",
        email="carmen@example.es",
        phone="+34612345678",
    )


@pytest.fixture
def graces_tickets(northwind, grace):
    open_one = queue_ticket(northwind, customer=grace)
    ChangeItem.objects.create(
        ticket=open_one,
        section="contact",
        field="email",
        label="Primary e-mail",
        new_display="g•••@example.net",
    )
    closed = queue_ticket(northwind, customer=grace, state=State.CLOSED)
    return open_one, closed


@pytest.fixture
def carmens_ticket(solaris, carmen):
    return queue_ticket(solaris, customer=carmen)


def _references(response) -> list[str]:
    page = response.content.decode()
    block = page[page.index('data-testid="search-tickets"') :] if "search-tickets" in page else ""
    return re.findall(r'data-reference="(PD-\d+)"', block)


@pytest.mark.parametrize(
    ("typed", "reference"),
    [
        ("PD-000011", "PD-000011"),
        ("pd-11", "PD-000011"),
        (" PD 000011 ", "PD-000011"),
        ("pd11", "PD-000011"),
        ("PD-", None),
        ("PD-1234567890", None),
        ("XPD-11", None),
        ("11", None),
    ],
)
def test_a_reference_is_read_as_typed_on_a_floor(typed, reference):
    assert reference_in(typed) == reference


def test_a_reference_opens_the_ticket(agent, graces_tickets):
    ticket = graces_tickets[0]
    http = signed_in(agent)
    response = http.get(SEARCH, {"q": ticket.reference.lower()})
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:detail", args=[ticket.reference])


def test_the_box_posts_and_lands_on_the_bookmarkable_search(agent, grace, graces_tickets):
    response = signed_in(agent).post(SEARCH, {"q": "Grace"})
    assert response.status_code == 302
    assert response["Location"] == f"{SEARCH}?q=Grace"


@pytest.mark.parametrize(
    "query", ["NWE-0001234", "grace hopper", "GRACE.HOPPER@example.com", "07700 900123"]
)
def test_a_customer_found_any_way_brings_their_tickets_open_first(
    agent, grace, graces_tickets, query
):
    response = signed_in(agent).get(SEARCH, {"q": query})
    assert response.status_code == 200
    open_one, closed = graces_tickets
    assert _references(response) == [open_one.reference, closed.reference]
    page = response.content.decode()
    assert "Primary e-mail → g•••@example.net" in page  # the summary, masked as stored
    assert "Grace Hopper" in page
    # Contact details stay masked until the caller is verified.
    assert "grace.hopper@example.com" not in page.replace(query, "")
    assert "+447700900123" not in page


def test_another_clients_ticket_is_not_found_by_reference_nor_distinguishable(
    agent, graces_tickets, carmens_ticket
):
    http = signed_in(agent)
    theirs = http.get(SEARCH, {"q": carmens_ticket.reference})
    nowhere = http.get(SEARCH, {"q": "PD-999999"})
    assert theirs.status_code == nowhere.status_code == 200
    assert _references(theirs) == []
    assert carmens_ticket.reference not in theirs.content.decode().replace(
        f'value="{carmens_ticket.reference}"', ""
    ).replace(f"Search: {carmens_ticket.reference}", "")
    assert "No ticket of your clients matches that." in theirs.content.decode()


@pytest.mark.parametrize("query", ["Carmen Ruiz", "carmen@example.es", "SOL-0000042"])
def test_another_clients_customers_and_their_tickets_are_not_found(
    agent, carmen, carmens_ticket, query
):
    response = signed_in(agent).get(SEARCH, {"q": query})
    page = response.content.decode()
    assert response.status_code == 200
    assert _references(response) == []
    assert "Solaris" not in page and carmen.number not in page.replace(query, "")


def test_the_search_costs_the_same_queries_whatever_another_client_holds(
    agent, grace, graces_tickets, carmen, carmens_ticket, django_assert_num_queries
):
    """Timing by count: a reference of another client, one that exists nowhere and one of
    the agent's own all run the same queries (the scoping is inside each)."""
    http = signed_in(agent)
    http.get(SEARCH)
    # Expect 6 queries: the session, the staff member, the TOTP device, the permissions
    # and role names (one query); the customer search (no customer: nothing to prefetch);
    # the ticket by reference, scoped.
    for query in (carmens_ticket.reference, "PD-999999"):
        with django_assert_num_queries(6):
            http.get(SEARCH, {"q": query})


def test_a_name_search_costs_the_same_for_one_or_many_results(
    agent, northwind, django_assert_num_queries
):
    http = signed_in(agent)
    http.get(SEARCH)
    for count in (1, 6):
        for n in range(count):
            customer = _customer(
                northwind,
                number=f"NWE-{count}{n:06d}",
                name=f"Ada Lovelace {count}{n}",
                email=f"ada{count}{n}@example.com",
                phone=f"+4477009{count}{n:04d}",
            )
            queue_ticket(northwind, customer=customer)
        # Expect 6 queries: session, staff member, TOTP device, the permissions and role
        # names (one query); the customers with their primary e-mail and phone
        # (subqueries); their tickets (name, summary and item count in the one query).
        with django_assert_num_queries(6):
            response = http.get(SEARCH, {"q": f"ada lovelace {count}"})
        assert len(_references(response)) == count


def test_a_card_number_is_refused_on_the_field_and_never_reaches_a_url(agent, grace):
    response = signed_in(agent).post(SEARCH, {"q": "4111 1111 1111 1111"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Card numbers are not searched" in page
    assert "4111" not in page


def test_a_query_longer_than_the_field_is_a_400_with_its_reason(agent):
    response = signed_in(agent).get(SEARCH, {"q": "x" * 201})
    assert response.status_code == 400
    assert "at most 200 characters" in response.content.decode()


def test_a_desk_admin_has_no_search(personas):
    assert signed_in(personas["desk_admin"]).get(SEARCH, {"q": "x"}).status_code == 403


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=st.text(max_size=60).filter(lambda q: "\x00" not in q))
def test_any_hostile_string_is_answered_and_escaped_never_a_500(agent, grace, query):
    """SQL, markup, bidi controls, lone surrogates' neighbours, LIKE wildcards: the search
    answers 200 (or 400 for a card number) and prints what was typed only escaped."""
    found = desk_search(staff=agent, query=query)
    assert all(t.client_id == grace.client_id for t in found.tickets)
    response = signed_in(agent).get(SEARCH, {"q": query})
    assert response.status_code in (200, 302, 400)
    if "<script" in query.lower():
        assert "<script" not in response.content.decode().lower().replace("<script src=", "")


@pytest.mark.parametrize("query", ["%", "_", "' OR 1=1 --", "<script>alert(1)</script>", "\u202e"])
def test_wildcards_and_injections_find_nothing_they_should_not(agent, grace, graces_tickets, query):
    response = signed_in(agent).get(SEARCH, {"q": query})
    assert response.status_code == 200
    assert _references(response) == []
    assert "<script>alert(1)</script>" not in response.content.decode()
