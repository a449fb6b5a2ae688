"""Red team (issue 14, claims): "Reassign" was a third way to take security's ticket.

A ticket sent to security as a suspected fraud is security's: a supervisor's take-over
and an agent's claim are refused ("This ticket is with the security team"). Reassign did
not ask: a supervisor could hand the suspect's ticket, claimed by an analyst, to
themselves or to an agent, knocking the analyst off it. Whoever holds an escalated ticket
is security's to decide.
"""

import pytest
from django.urls import reverse

from profiledesk.security.services import security_claim
from profiledesk.tickets.models import State
from profiledesk.tickets.services import TicketError, ticket_reassign
from profiledesk.tickets.states import transition
from tests.conftest import signed_in
from tests.factories import TicketFactory


@pytest.fixture
def with_security(customer, personas):
    ticket = TicketFactory(customer=customer, created_by=personas["agent"])
    ticket.assignee = personas["agent"]
    ticket.save(update_fields=["assignee"])
    transition(ticket=ticket, to=State.ESCALATED, by=personas["agent"], reason="Voice changed")
    security_claim(ticket=ticket, by=personas["security"])
    ticket.refresh_from_db()
    assert ticket.assignee == personas["security"]
    return ticket


@pytest.mark.parametrize("to", ["supervisor", "agent"])
def test_a_supervisor_cannot_reassign_security_s_ticket(with_security, personas, to):
    response = signed_in(personas["supervisor"]).post(
        reverse("tickets:reassign", args=[with_security.reference]),
        {"to": personas[to].username},
    )
    assert response.status_code == 302
    with_security.refresh_from_db()
    assert with_security.assignee == personas["security"]
    with pytest.raises(TicketError, match="security team"):
        ticket_reassign(ticket=with_security, to=None, by=personas["supervisor"])
    with_security.refresh_from_db()
    assert with_security.assignee == personas["security"]


def test_security_taking_a_ticket_from_the_floor_reaches_the_floor_s_open_page(customer, personas):
    """The agent's page polls the ticket's version: security's claim must change it, or
    the page goes on offering the agent a ticket that is no longer theirs."""
    ticket = TicketFactory(customer=customer, created_by=personas["agent"])
    ticket.assignee = personas["agent"]
    ticket.save(update_fields=["assignee"])
    transition(ticket=ticket, to=State.ESCALATED, by=personas["agent"], reason="Voice changed")
    ticket.refresh_from_db()
    shown = ticket.version
    security_claim(ticket=ticket, by=personas["security"])
    ticket.refresh_from_db()
    assert ticket.version > shown
    poll = signed_in(personas["agent"]).get(
        reverse("tickets:live", args=[ticket.reference]), {"v": shown, "p": ""}
    )
    assert poll.status_code == 200  # not 204 "nothing changed"
