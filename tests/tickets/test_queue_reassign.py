"""Reassigning from the queue: supervisors only, and only to people of the ticket's client."""

from django.urls import reverse

from profiledesk.accounts.roles import Role
from profiledesk.tickets.models import TicketEvent
from tests.conftest import make_staff, signed_in
from tests.tickets.queue_helpers import queue_ticket


def reassign_url(ticket) -> str:
    return reverse("tickets:reassign", args=[ticket.reference])


def test_a_supervisor_hands_a_ticket_to_an_agent_of_its_client(northwind, personas):
    ticket = queue_ticket(northwind, assignee=personas["supervisor"])
    http = signed_in(personas["supervisor"])
    response = http.post(reassign_url(ticket), {"to": "agent", "next": "/tickets/?risk=high"})
    assert response["Location"] == "/tickets/?risk=high"
    ticket.refresh_from_db()
    assert ticket.assignee == personas["agent"]
    event = ticket.events.get(kind=TicketEvent.Kind.ASSIGNED)
    assert event.actor == personas["supervisor"]


def test_agents_cannot_reassign(northwind, personas):
    ticket = queue_ticket(northwind, assignee=personas["agent"])
    response = signed_in(personas["agent"]).post(reassign_url(ticket), {"to": "supervisor"})
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.assignee == personas["agent"]


def test_a_ticket_cannot_go_to_someone_of_another_client(northwind, personas):
    ticket = queue_ticket(northwind)
    response = signed_in(personas["supervisor"]).post(
        reassign_url(ticket), {"to": "outsider"}, follow=True
    )
    assert "No agent or supervisor of Northwind Energy has the username “outsider”." in (
        response.content.decode()
    )
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_a_ticket_goes_only_to_people_who_work_tickets(northwind, personas):
    ticket = queue_ticket(northwind)
    signed_in(personas["supervisor"]).post(reassign_url(ticket), {"to": "compliance"})
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_a_supervisor_of_another_client_gets_a_404(northwind, solaris):
    ticket = queue_ticket(northwind)
    theirs = make_staff("solaris-supervisor", Role.SUPERVISOR, solaris)
    response = signed_in(theirs).post(reassign_url(ticket), {"to": "solaris-supervisor"})
    assert response.status_code == 404


def test_an_empty_name_changes_nothing(northwind, personas):
    ticket = queue_ticket(northwind, assignee=personas["agent"])
    response = signed_in(personas["supervisor"]).post(reassign_url(ticket), {"to": ""}, follow=True)
    assert "Say who the ticket goes to." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee == personas["agent"]
