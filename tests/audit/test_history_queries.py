"""Query budgets of the history pages: the same with one version as with many (STYLE 8)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.history import customer_versions_all
from tests.audit.history_helpers import applied, ticket_for, write
from tests.conftest import signed_in
from verification.models import Attempt

pytestmark = pytest.mark.django_db

# Every page: session, user, TOTP device, and the user's permissions and the role names
# the base template reads, in one query (accounts/permissions.py).
FRAME = 4


def tickets_writing_phones(customer, by, count: int):
    tickets = []
    for i in range(count):
        ticket = ticket_for(customer, by)
        Attempt.objects.create(
            ticket=ticket,
            customer=customer,
            method="otp",
            result="passed",
            staff=by,
            at=timezone.now(),
        )
        write(customer.phones.get(), by=by, reason=applied(ticket), number=f"+4477009{i:05d}")
        write(customer.emails.get(), by=by, reason=applied(ticket), email=f"n{i}@example.org")
        tickets.append(ticket)
    return tickets


@pytest.mark.parametrize("count", [1, 40])
def test_the_customer_history_page_has_a_fixed_query_budget(
    count, customer, personas, django_assert_num_queries
):
    seed = len(list(customer_versions_all(customer=customer)))
    tickets_writing_phones(customer, personas["agent"], count)
    http = signed_in(personas["compliance"])
    url = reverse("audit:customer_history", args=[customer.pk])
    http.get(url)  # warm the session
    # Expect FRAME + 6 queries: the customer, the staff filter's choices, the page's keys
    # (one UNION ALL), its rows with their previous versions (one UNION ALL), the tickets
    # (with who opened them, the ticket each rolls back and its waiver) and their evidence
    # (one UNION ALL: verification attempts, approvals, confirmations, rollback tickets).
    with django_assert_num_queries(FRAME + 6):
        response = http.get(url)
    assert response.content.count(b'data-testid="version"') == min(25, seed + 2 * count)


@pytest.mark.parametrize("count", [1, 12])
def test_closed_tickets_cost_no_more_per_group(
    count, customer, personas, django_assert_num_queries
):
    """Closed tickets show their rollback links (templates/rollback/_restore_ticket.html):
    still no query per group (audit.history reads each ticket's rollbacks with its
    evidence)."""
    for ticket in tickets_writing_phones(customer, personas["agent"], count):
        # A shortcut for the test: the ticket's state as if applied and closed.
        ticket.state = "closed"
        ticket.save(update_fields=["state"])
    http = signed_in(personas["compliance"])
    url = reverse("audit:customer_history", args=[customer.pk])
    http.get(url)
    # Expect FRAME + 6 queries, as above.
    with django_assert_num_queries(FRAME + 6):
        response = http.get(url)
    assert response.content.count(b'data-testid="group"') >= min(count, 12)


@pytest.mark.parametrize("count", [1, 40])
def test_a_deep_filtered_page_costs_the_same(count, customer, personas, django_assert_num_queries):
    tickets_writing_phones(customer, personas["agent"], count)
    http = signed_in(personas["compliance"])
    first = http.get(reverse("audit:customer_history", args=[customer.pk]) + "?category=contact")
    older = first.content.decode().split("after=")
    url = reverse("audit:customer_history", args=[customer.pk]) + "?category=contact"
    if len(older) > 1:
        url += "&after=" + older[1].split('"')[0]
    # Expect FRAME + 6 queries, as on the first page.
    with django_assert_num_queries(FRAME + 6):
        assert http.get(url).status_code == 200


@pytest.mark.parametrize("count", [1, 25])
def test_the_ticket_audit_view_has_a_fixed_query_budget(
    count, customer, personas, django_assert_num_queries
):
    agent = personas["agent"]
    ticket = ticket_for(customer, agent)
    rollback = ticket_for(customer, agent)
    rollback.rollback_of = ticket
    rollback.save(update_fields=["rollback_of"])
    for i in range(count):
        Attempt.objects.create(
            ticket=ticket,
            customer=customer,
            method="otp",
            result="failed",
            staff=agent,
            at=timezone.now(),
        )
        write(customer.phones.get(), by=agent, reason=applied(ticket), number=f"+4477009{i:05d}")
    http = signed_in(personas["supervisor"])
    url = reverse("audit:ticket_audit", args=[ticket.reference])
    # Expect FRAME + 13 queries: the ticket; its timeline; its items' history; the
    # profile versions it wrote (keys, rows); attempts; identity documents; approval
    # rounds; approvals; confirmations; deliveries; audit events; rollback tickets both ways.
    with django_assert_num_queries(FRAME + 13):
        response = http.get(url)
    assert rollback.reference.encode() in response.content


@pytest.mark.parametrize("count", [1, 30])
def test_the_staff_activity_view_has_a_fixed_query_budget(
    count, customer, personas, django_assert_num_queries
):
    tickets_writing_phones(customer, personas["agent"], count)
    http = signed_in(personas["compliance"])
    url = reverse("audit:staff_activity", args=[personas["agent"].pk])
    # Expect FRAME + 6 queries: the staff member (sharing a client), the page's keys, its
    # rows, the numbers of their customers, their ticket events, their audit events.
    with django_assert_num_queries(FRAME + 6):
        response = http.get(url)
    assert response.status_code == 200
    # Each version says whose profile it was.
    assert response.content.decode().count(customer.number) >= min(count, 25)
