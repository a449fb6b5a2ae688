"""Security's queue (profiledesk/security): escalated tickets and customers' "this wasn't
me" reports of the analyst's clients, claimed from the queue (taken over from the floor,
never from another analyst), and a resolved report closed with a reason through the
state machine, audited."""

import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from profiledesk.confirmations.services import confirmations_create, report_close, report_confirm
from profiledesk.security.services import security_claim
from profiledesk.tickets.models import ChangeItem, State, Ticket, TicketEvent
from profiledesk.tickets.services import TicketError
from profiledesk.tickets.states import TransitionError, allowed_moves, transition
from tests.confirmations.conftest import email_change, link_token
from tests.conftest import make_staff, signed_in
from tests.tickets.queue_helpers import queue_ticket

QUEUE = reverse("security:queue")


@pytest.fixture
def security(personas):
    return personas["security"]


@pytest.fixture
def report(customer):
    """A customer's "this wasn't me" report, opened the real way: escalated, no items."""
    ticket, old = email_change(customer)
    messages = confirmations_create(ticket=ticket)
    to_old = next(m for m in messages if m.recipient == old)
    return report_confirm(token=link_token(to_old)).report_ticket


@pytest.fixture
def escalated(northwind, customer, agent):
    """Escalated by the agent who had it: still assigned to them."""
    return queue_ticket(northwind, customer=customer, state=State.ESCALATED, assignee=agent)


def _queue_refs(response) -> list[str]:
    return re.findall(r'data-reference="(PD-\d+)"', response.content.decode())


def test_the_queue_lists_escalated_tickets_and_reports_and_nothing_else(
    security, northwind, solaris, customer, report, escalated
):
    queue_ticket(northwind, customer=customer)  # an ordinary open ticket
    queue_ticket(northwind, customer=customer, state=State.CLOSED)
    queue_ticket(solaris, state=State.ESCALATED)  # another client's
    response = signed_in(security).get(QUEUE)
    assert response.status_code == 200
    assert sorted(_queue_refs(response)) == sorted([report.reference, escalated.reference])
    page = response.content.decode()
    assert page.count('data-testid="report-badge"') == 1


def test_a_report_returned_to_the_flow_stays_in_the_queue(security, report):
    transition(ticket=report, to=State.VERIFYING, by=security, reason="Talk to the customer")
    assert _queue_refs(signed_in(security).get(QUEUE)) == [report.reference]


@pytest.mark.parametrize("role", ["agent", "supervisor", "compliance", "desk_admin"])
def test_only_security_has_the_queue(personas, role):
    assert signed_in(personas[role]).get(QUEUE).status_code == 403


def test_the_queue_costs_the_same_queries_for_one_or_many_rows(
    security, northwind, customer, django_assert_num_queries
):
    http = signed_in(security)
    http.get(QUEUE)
    for count in (1, 12):
        for _ in range(count):
            queue_ticket(northwind, customer=customer, state=State.ESCALATED)
        # Expect 7 queries: the session, the staff member, the TOTP device, the role names
        # (security? and the layout's badges) and permissions in one query; the clients;
        # the page (customer with name, assignee, client, summary, whether a report); the
        # capped count.
        with django_assert_num_queries(7):
            response = http.get(QUEUE)
        assert response.status_code == 200


def test_claiming_takes_the_ticket_over_from_the_agent_recorded_and_audited(
    security, escalated, agent
):
    response = signed_in(security).post(
        reverse("security:claim", args=[escalated.reference]), {"next": QUEUE}
    )
    assert response.status_code == 302 and response["Location"] == QUEUE
    escalated.refresh_from_db()
    assert escalated.assignee == security
    event = TicketEvent.objects.filter(ticket=escalated, kind=TicketEvent.Kind.ASSIGNED).get()
    assert "security" in event.message and str(agent) in event.message
    audit = AuditEvent.objects.get(action="ticket.security_claimed")
    assert audit.actor == security and audit.data["from"] == agent.username


def test_a_second_analyst_cannot_take_a_ticket_another_analyst_claimed(
    security, northwind, escalated
):
    other = make_staff("security2", "security", northwind)
    security_claim(ticket=escalated, by=security)
    with pytest.raises(TicketError, match="already claimed"):
        security_claim(ticket=escalated, by=other)
    escalated.refresh_from_db()
    assert escalated.assignee == security


def test_claiming_again_is_a_no_op(security, escalated):
    security_claim(ticket=escalated, by=security)
    security_claim(ticket=escalated, by=security)
    assert TicketEvent.objects.filter(ticket=escalated, kind="assigned").count() == 1


def test_an_ordinary_ticket_is_not_claimed_from_the_security_queue(security, northwind, customer):
    ticket = queue_ticket(northwind, customer=customer)
    response = signed_in(security).post(reverse("security:claim", args=[ticket.reference]))
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_an_agent_cannot_use_securitys_claim(agent, escalated):
    response = signed_in(agent).post(reverse("security:claim", args=[escalated.reference]))
    assert response.status_code == 403
    with pytest.raises(TicketError):
        security_claim(ticket=escalated, by=agent)


def test_another_clients_ticket_is_a_404(security, solaris):
    theirs = queue_ticket(solaris, state=State.ESCALATED)
    http = signed_in(security)
    assert http.post(reverse("security:claim", args=[theirs.reference])).status_code == 404
    assert (
        http.post(
            reverse("security:close_report", args=[theirs.reference]), {"reason": "x"}
        ).status_code
        == 404
    )


def test_security_closes_a_resolved_report_with_a_reason_audited(security, report):
    assert "Close report" in [str(m.label) for m in allowed_moves(report, security)]
    response = signed_in(security).post(
        reverse("security:close_report", args=[report.reference]),
        {"reason": "Rollback PD-000099 applied; customer confirmed by phone"},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == State.CLOSED
    event = TicketEvent.objects.get(ticket=report, to_state=State.CLOSED)
    assert event.actor == security and "Rollback" in event.message
    audit = AuditEvent.objects.get(action="confirmation.report_closed")
    assert audit.actor == security and audit.data["reference"] == report.reference


def test_a_report_left_verifying_with_nothing_to_verify_is_closable(security, report):
    transition(ticket=report, to=State.VERIFYING, by=security, reason="Call the customer")
    report_close(ticket=report, by=security, reason="Customer confirmed it was them")
    report.refresh_from_db()
    assert report.state == State.CLOSED


def test_closing_without_a_reason_is_refused_on_the_field(security, report):
    response = signed_in(security).post(
        reverse("security:close_report", args=[report.reference]), {"reason": "  "}, follow=True
    )
    assert "Give a reason." in response.content.decode()
    report.refresh_from_db()
    assert report.state == State.ESCALATED
    assert not AuditEvent.objects.filter(action="confirmation.report_closed").exists()


def test_an_escalated_change_request_is_not_closed_as_a_report(security, escalated):
    with pytest.raises(TransitionError, match="this wasn't me"):
        report_close(ticket=escalated, by=security, reason="Looks fine")
    assert "Close report" not in [str(m.label) for m in allowed_moves(escalated, security)]
    escalated.refresh_from_db()
    assert escalated.state == State.ESCALATED


def test_a_report_with_a_change_captured_follows_the_flow_instead(security, report):
    ChangeItem.objects.create(ticket=report, section="contact", field="email", label="E-mail")
    with pytest.raises(TransitionError, match="change is captured"):
        report_close(ticket=report, by=security, reason="Done")


@pytest.mark.parametrize("role", ["agent", "supervisor", "compliance"])
def test_nobody_but_security_closes_a_report(personas, report, role):
    with pytest.raises(TransitionError):
        report_close(ticket=report, by=personas[role], reason="Done")
    response = signed_in(personas[role]).post(
        reverse("security:close_report", args=[report.reference]), {"reason": "Done"}
    )
    assert response.status_code == 403
    assert Ticket.objects.get(pk=report.pk).state == State.ESCALATED


def test_the_generic_move_form_cannot_close_a_report(security, report):
    with pytest.raises(TransitionError):
        transition(ticket=report, to=State.CLOSED, by=security, reason="Done")


def test_the_ticket_page_offers_security_claim_and_close(security, report):
    page = signed_in(security).get(reverse("tickets:detail", args=[report.reference]))
    html = page.content.decode()
    assert reverse("security:claim", args=[report.reference]) in html
    assert reverse("security:close_report", args=[report.reference]) in html


def test_securitys_home_is_its_queue(security):
    assert signed_in(security).get("/")["Location"] == QUEUE
