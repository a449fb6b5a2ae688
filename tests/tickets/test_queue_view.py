"""The queue page: what it lists, for whom, how it filters, its partial and its budget."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from profiledesk.accounts.roles import Role
from profiledesk.tickets.models import Channel, RiskLevel, State
from tests.conftest import make_staff, signed_in
from tests.factories import complete_customer
from tests.tickets.queue_helpers import many_open_tickets, queue_ticket, references_in

QUEUE = reverse("tickets:queue")


@pytest.fixture
def on_the_minute():
    """The list is "as of" the minute (queue_views.queue): a clock stopped on a whole
    minute gives the texts these tests expect to the second."""
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC), tick=False) as clock:
        yield clock


def test_the_queue_lists_open_tickets_soonest_sla_first(northwind, agent, customer):
    later = queue_ticket(northwind, customer=customer, due_in=dt.timedelta(hours=5))
    sooner = queue_ticket(northwind, customer=customer, due_in=dt.timedelta(minutes=20))
    breached = queue_ticket(northwind, customer=customer, due_in=-dt.timedelta(minutes=5))
    for closed_state in (State.CLOSED, State.CANCELLED, State.APPLIED, State.REJECTED):
        queue_ticket(northwind, customer=customer, state=closed_state)

    response = signed_in(agent).get(QUEUE)

    assert response.status_code == 200
    assert references_in(response) == [breached.reference, sooner.reference, later.reference]


def test_a_row_shows_customer_state_risk_assignee_and_sla_in_words(
    northwind, agent, customer, personas, on_the_minute
):
    ticket = queue_ticket(
        northwind,
        customer=customer,
        state=State.PENDING_APPROVAL,
        risk=RiskLevel.HIGH,
        assignee=personas["supervisor"],
        due_in=-dt.timedelta(minutes=5, seconds=30),
    )

    page = signed_in(agent).get(QUEUE).content.decode()

    assert customer.number in page
    assert f'href="{reverse("tickets:detail", args=[ticket.reference])}"' in page
    # Badges carry their meaning in words, not colour alone.
    assert "Pending approval" in page
    assert "Risk: High" in page
    assert personas["supervisor"].get_full_name() in page
    assert "breached 5 min ago" in page


def test_a_ticket_due_later_says_how_long_is_left(northwind, agent, on_the_minute):
    queue_ticket(northwind, due_in=dt.timedelta(minutes=42, seconds=30))
    assert "due in 42 min" in signed_in(agent).get(QUEUE).content.decode()


def test_a_ticket_not_matched_to_a_customer_yet_says_so(northwind, agent):
    queue_ticket(northwind, channel=Channel.EMAIL)
    assert "Not matched yet" in signed_in(agent).get(QUEUE).content.decode()


@pytest.fixture
def mixed_queue(northwind, personas, customer):
    """One ticket per filter value that the filter tests pick out, and one that differs."""
    agent, supervisor = personas["agent"], personas["supervisor"]
    now = timezone.now()
    return {
        "base": queue_ticket(northwind, customer=customer),
        "verifying": queue_ticket(northwind, customer=customer, state=State.VERIFYING),
        "chat": queue_ticket(northwind, customer=customer, channel=Channel.CHAT),
        "billing": queue_ticket(northwind, customer=customer, category="billing"),
        "critical": queue_ticket(northwind, customer=customer, risk=RiskLevel.CRITICAL),
        "mine": queue_ticket(northwind, customer=customer, assignee=agent),
        "supervisors": queue_ticket(northwind, customer=customer, assignee=supervisor),
        "breached": queue_ticket(northwind, customer=customer, due_in=-dt.timedelta(minutes=1)),
        "due_soon": queue_ticket(northwind, customer=customer, due_in=dt.timedelta(minutes=30)),
        # Paused with 10 minutes left: not breached, and not running out within the hour.
        "paused": queue_ticket(
            northwind,
            customer=customer,
            due_in=-dt.timedelta(minutes=50),
            paused_at=now - dt.timedelta(hours=1),
        ),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"state": "verifying"}, ["verifying"]),
        ({"channel": "chat"}, ["chat"]),
        ({"category": "billing"}, ["billing"]),
        ({"risk": "critical"}, ["critical"]),
        ({"assignee": "me"}, ["mine"]),
        ({"sla": "breached"}, ["breached"]),
        ({"sla": "due_soon"}, ["due_soon"]),
        ({"risk": "critical", "channel": "chat"}, []),
    ],
)
def test_each_filter_narrows_the_queue_to_what_it_names(mixed_queue, agent, params, expected):
    response = signed_in(agent).get(QUEUE, params)
    assert response.status_code == 200
    wanted = {mixed_queue[name].reference for name in expected}
    assert set(references_in(response)) == wanted


def test_the_assignee_filter_picks_a_person_or_nobody(mixed_queue, personas, agent):
    http = signed_in(agent)
    by_person = http.get(QUEUE, {"assignee": personas["supervisor"].pk})
    nobody = http.get(QUEUE, {"assignee": "none"})
    assert references_in(by_person) == [mixed_queue["supervisors"].reference]
    assigned = {mixed_queue["mine"].reference, mixed_queue["supervisors"].reference}
    assert set(references_in(nobody)) == {t.reference for t in mixed_queue.values()} - assigned


def test_the_client_filter_keeps_one_client(northwind, solaris, customer):
    both = make_staff("both-clients", Role.SUPERVISOR, northwind, solaris)
    ours = queue_ticket(northwind, customer=customer)
    theirs = queue_ticket(solaris)
    response = signed_in(both).get(QUEUE, {"client": solaris.pk})
    assert references_in(response) == [theirs.reference]
    assert ours.reference not in response.content.decode()


def test_a_filter_value_that_is_not_offered_is_a_400_not_a_guess(northwind, solaris, agent):
    http = signed_in(agent)
    assert http.get(QUEUE, {"state": "closed"}).status_code == 400
    assert http.get(QUEUE, {"client": solaris.pk}).status_code == 400  # not one of theirs
    assert http.get(QUEUE, {"after": "not-a-cursor"}).status_code == 400


def test_an_outsider_sees_none_of_northwinds_tickets(northwind, personas, customer):
    queue_ticket(northwind, customer=customer)
    response = signed_in(personas["outsider"]).get(QUEUE)
    assert response.status_code == 200
    assert references_in(response) == []
    assert "No open ticket matches" in response.content.decode()


def test_a_supervisor_of_both_clients_sees_both_clients_tickets(northwind, solaris, customer):
    both = make_staff("both-clients", Role.SUPERVISOR, northwind, solaris)
    ours = queue_ticket(northwind, customer=customer, due_in=dt.timedelta(hours=1))
    theirs = queue_ticket(solaris, due_in=dt.timedelta(hours=2))
    response = signed_in(both).get(QUEUE)
    assert references_in(response) == [ours.reference, theirs.reference]
    page = response.content.decode()
    assert northwind.name in page and solaris.name in page  # a client column for two


def test_a_client_that_was_switched_off_drops_out_of_the_queue(northwind, agent, customer):
    queue_ticket(northwind, customer=customer)
    northwind.is_active = False
    northwind.save(update_fields=["is_active"])
    assert references_in(signed_in(agent).get(QUEUE)) == []


def test_staff_without_the_ticket_permission_are_refused(personas):
    assert signed_in(personas["desk_admin"]).get(QUEUE).status_code == 403


def test_compliance_sees_the_queue_but_no_claim_button(northwind, personas, customer):
    queue_ticket(northwind, customer=customer)
    response = signed_in(personas["compliance"]).get(QUEUE)
    assert response.status_code == 200
    assert b"data-claim" not in response.content
    assert b"Reassign" not in response.content


def test_only_supervisors_get_the_reassign_form_with_the_clients_people(
    northwind, personas, customer
):
    queue_ticket(northwind, customer=customer)
    agent_page = signed_in(personas["agent"]).get(QUEUE).content.decode()
    supervisor_page = signed_in(personas["supervisor"]).get(QUEUE).content.decode()
    assert "Reassign" not in agent_page
    assert f'<datalist id="people-{northwind.pk}">' in supervisor_page
    assert 'value="agent"' in supervisor_page
    assert 'value="compliance"' not in supervisor_page  # only people who work tickets


def test_the_desk_home_is_the_queue_for_staff_who_work_tickets(personas):
    assert signed_in(personas["agent"]).get("/")["Location"] == QUEUE
    assert signed_in(personas["desk_admin"]).get("/")["Location"] == reverse("admin:index")


def test_htmx_gets_the_list_alone_and_it_polls_in_the_background(northwind, agent, customer):
    ticket = queue_ticket(northwind, customer=customer)
    response = signed_in(agent).get(QUEUE, {"risk": "low"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.templates[0].name == "tickets/_queue_table.html"
    assert "<html" not in page and 'id="queue-filters"' not in page
    assert ticket.reference in page
    # The poll asks again for the same filters, and says it is not the person at work.
    # (queue.js holds it back while a form in the queue is in use: no eval'd trigger filter.)
    assert 'data-queue-refresh hx-get="/tickets/?risk=low" hx-trigger="every 20s"' in page
    assert """hx-headers='{"X-Desk-Background": "1"}'""" in page


def test_a_full_page_load_documents_the_keyboard_shortcuts(agent):
    page = signed_in(agent).get(QUEUE).content.decode()
    assert "<kbd>j</kbd>" in page and "<kbd>c</kbd>" in page and "desk/queue.js" in page


def test_more_than_a_thousand_matches_read_1000_plus_without_counting_them_all(northwind, agent):
    many_open_tickets(northwind, 1001)
    http = signed_in(agent)
    with CaptureQueriesContext(connection) as queries:
        page = http.get(QUEUE).content.decode()
    assert "1,000+ open tickets match" in page
    sql = " ".join(q["sql"].upper() for q in queries.captured_queries)
    assert "OFFSET" not in sql
    assert "LIMIT 1001" in sql  # the count stops at the cap


def test_a_small_queue_gives_its_exact_count(northwind, agent):
    many_open_tickets(northwind, 3)
    assert "3 open tickets match" in signed_in(agent).get(QUEUE).content.decode()


@pytest.mark.parametrize("rows", [10, 50])
def test_the_queue_costs_the_same_queries_at_10_and_50_rows(
    northwind, personas, customer, rows, django_assert_num_queries
):
    # Every row with a customer and an assignee: a lazy join would cost a query a row.
    supervisor = personas["supervisor"]
    many_open_tickets(northwind, rows, customer=customer, assignee=supervisor)
    http = signed_in(supervisor)
    # Expect 10 queries, whatever the number of rows:
    #  1. the session                      2. the staff member
    #  3. their TOTP device                4. their permissions and role names, one
    #     query (accounts/permissions.py)
    #  5. the clients they serve
    #  6. those clients' agents and supervisors (filter and reassign lists)
    #  7. the page of tickets, customer, assignee and client joined
    #  8. the count, capped at 1,001 rows
    with django_assert_num_queries(8):
        response = http.get(QUEUE)
    assert response.status_code == 200
    assert len(references_in(response)) == rows


def test_a_queue_with_filters_in_error_does_not_poll_its_alert_again(northwind, agent):
    # The alert is role="alert": swapped in every 20 s, a screen reader would read it out
    # again and again. Filters in error are not refreshed; the alert is read once.
    response = signed_in(agent).get(QUEUE, {"state": "closed"})
    page = response.content.decode()
    assert response.status_code == 400 and 'role="alert"' in page
    assert "data-queue-refresh" not in page


def test_the_rows_print_hostile_text_as_text(northwind, agent):
    # The rows are rendered by Jinja2 (tickets/queue_rows.py), not Django: its autoescape
    # must hold for every value a customer or an e-mail wrote.
    hostile = '<img src=x onerror="alert(1)">&'
    customer = complete_customer(northwind, legal_name=hostile)
    ticket = queue_ticket(northwind, customer=customer)
    ticket.summary = hostile
    ticket.save()
    page = signed_in(agent).get(QUEUE).content.decode()
    assert hostile not in page and "<img src=x" not in page
    # Jinja2 writes a quote as &#34; where Django writes &quot;: the same text on screen.
    assert page.count("&lt;img src=x onerror=&#34;alert(1)&#34;&gt;&amp;") == 2  # name, summary


ROLE_NAMES = 'SELECT "auth_group"."name"'  # accounts.roles.roles_of's query


def test_the_role_names_are_read_for_the_layout_only(northwind, agent):
    # The layout's role badges come with the permissions, in their one query
    # (accounts/permissions.py): the full page prints them without a query of their own,
    # the htmx list (every 20 s, every agent) never reads them.
    http = signed_in(agent)
    with CaptureQueriesContext(connection) as full:
        page = http.get(QUEUE).content.decode()
    assert '<span class="badge text-bg-secondary">agent</span>' in page
    assert not any(ROLE_NAMES in query["sql"] for query in full.captured_queries)
    assert any("SELECT 'r'" in query["sql"] for query in full.captured_queries)
    with CaptureQueriesContext(connection) as listed:
        response = http.get(QUEUE, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert not any(ROLE_NAMES in query["sql"] for query in listed.captured_queries)
