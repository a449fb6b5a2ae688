"""The approval queue page and the buttons on the ticket page."""

import datetime as dt

import pytest
from django.urls import reverse

from profiledesk.approvals.services import approval_grant, approval_submit
from profiledesk.tickets.models import State
from tests.conftest import make_staff, signed_in
from tests.factories import complete_customer

from .helpers import ready_ticket, second

pytestmark = pytest.mark.usefixtures("clock")
QUEUE = reverse("approvals:queue")


@pytest.fixture
def pending(customer, personas):
    ticket = ready_ticket(customer, personas["agent"], category="billing")
    approval_submit(ticket=ticket, by=personas["agent"])
    return ticket


def test_the_agent_submits_from_the_ticket_page(customer, personas):
    ticket = ready_ticket(customer, personas["agent"], category="billing")
    http = signed_in(personas["agent"])
    page = http.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert reverse("approvals:submit", args=[ticket.reference]) in page
    response = http.post(reverse("approvals:submit", args=[ticket.reference]))
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == State.PENDING_APPROVAL


def test_a_supervisor_approves_from_the_queue_and_a_second_finds_nothing_left(pending, personas):
    http = signed_in(personas["supervisor"])
    page = http.get(QUEUE).content.decode()
    assert pending.reference in page and 'data-testid="approve"' in page
    assert "Security questions passed" in page  # the verification evidence
    response = http.post(
        reverse("approvals:approve", args=[pending.reference]),
        {"diff_hash": pending.approval_rounds.get().diff_hash, "next": QUEUE},
    )
    assert response["Location"] == QUEUE
    pending.refresh_from_db()
    assert pending.state == State.APPROVED
    other = signed_in(second("supervisor", pending.client))
    assert pending.reference not in other.get(QUEUE).content.decode()


def test_the_maker_sees_the_ticket_without_buttons(pending, personas):
    # The supervisor who made the ticket (here: submitted it) is offered no decision.
    maker = second("supervisor", pending.client)
    pending.events.filter(to_state="pending_approval").update(actor=maker)
    for url in (QUEUE, reverse("tickets:detail", args=[pending.reference])):
        page = signed_in(maker).get(url).content.decode()
        assert 'data-testid="approve"' not in page and 'data-testid="reject"' not in page
        assert "someone else must approve" in page


def test_compliance_sees_only_what_waits_at_tier_two(customer, personas):
    ticket = ready_ticket(customer, personas["agent"], category="organisation")
    approval_submit(ticket=ticket, by=personas["agent"])
    http = signed_in(personas["compliance"])
    assert ticket.reference not in http.get(QUEUE).content.decode()
    approval_grant(ticket=ticket, by=personas["supervisor"])
    assert ticket.reference in http.get(QUEUE).content.decode()


def test_a_supervisor_of_another_client_sees_nothing(pending, solaris):
    stranger = make_staff("solaris_sup", "supervisor", solaris)
    page = signed_in(stranger).get(QUEUE).content.decode()
    assert pending.reference not in page and 'data-testid="nothing-waiting"' in page


def test_a_rejection_from_the_ticket_page_is_recorded_with_its_reason(pending, personas):
    http = signed_in(personas["supervisor"])
    http.post(reverse("approvals:reject", args=[pending.reference]), {"reason": ""})
    pending.refresh_from_db()
    assert pending.state == State.PENDING_APPROVAL
    http.post(reverse("approvals:reject", args=[pending.reference]), {"reason": "Wrong holder"})
    pending.refresh_from_db()
    assert pending.state == State.REJECTED
    page = http.get(reverse("tickets:detail", args=[pending.reference])).content.decode()
    assert "Wrong holder" in page


def test_the_ticket_page_shows_the_cooling_off(customer, personas):
    from .test_freeze_and_cooling_off import _applied_contact_change, _now

    _applied_contact_change(customer, personas["agent"], at=_now() - dt.timedelta(hours=1))
    ticket = ready_ticket(customer, personas["agent"], category="billing")
    page = signed_in(personas["agent"]).get(reverse("tickets:detail", args=[ticket.reference]))
    assert 'data-testid="cooling-off"' in page.content.decode()


@pytest.mark.parametrize("rows", [1, 6])
def test_the_queue_costs_a_fixed_number_of_queries(
    northwind, personas, rows, django_assert_num_queries
):
    for _ in range(rows):
        ticket = ready_ticket(complete_customer(northwind), personas["agent"], category="billing")
        approval_submit(ticket=ticket, by=personas["agent"])
    http = signed_in(personas["supervisor"])
    http.get(QUEUE)  # warm the session's cached bits
    # Expect 11: session, user, OTP device, permissions and roles (one), the page of rounds
    # with ticket, customer and client, their items, the makers (timeline actors, item
    # history users, verifiers), the decisions already given, the identity documents with
    # their checkers.
    with django_assert_num_queries(11):
        page = http.get(QUEUE)
    assert page.content.decode().count('data-testid="approval-row"') == rows
