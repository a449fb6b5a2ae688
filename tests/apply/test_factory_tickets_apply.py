"""Every ticket tests.factories.TicketFactory makes is one the desk could have captured
and can apply: its items come from the category's form and intake, never hand-made
rows that apply does not know (which would let a test pass on a ticket no agent can
open)."""

import pytest

from profiledesk.apply.services import ticket_apply
from profiledesk.approvals.rules import plan_for
from profiledesk.tickets.models import State
from profiledesk.tickets.states import transition
from tests.approvals.helpers import verify
from tests.factories import TICKET_DATA, TicketFactory
from verification.services import verification_complete

from .helpers import approve, identity_code, prove_contacts

pytestmark = pytest.mark.usefixtures("clock")


def _bring_to_applied(ticket, personas):
    agent = personas["agent"]
    transition(ticket=ticket, to=State.VERIFYING, by=agent)
    if ticket.category == "security":
        identity_code(ticket, agent)  # only a code to a contact on file counts for security
    verify(ticket, agent, level=3)
    prove_contacts(ticket, agent)
    verification_complete(ticket=ticket, by=agent)
    if plan_for(ticket).tiers:
        approve(ticket, personas)
    ticket_apply(ticket=ticket, by=agent)
    ticket.refresh_from_db()
    return ticket


@pytest.mark.parametrize("category", sorted(TICKET_DATA))
def test_a_factory_ticket_of_each_category_can_be_applied(category, customer, personas):
    ticket = TicketFactory(customer=customer, created_by=personas["agent"], category=category)
    assert ticket.items.exists()
    assert _bring_to_applied(ticket, personas).state == State.APPLIED


def test_the_default_factory_ticket_lands_its_new_email_on_the_profile(customer, personas):
    ticket = TicketFactory(customer=customer, created_by=personas["agent"])
    _bring_to_applied(ticket, personas)
    assert customer.emails.filter(email="new.address@example.com").exists()


def test_the_factory_refuses_data_the_desk_form_would_refuse(customer):
    with pytest.raises(ValueError, match="email"):
        TicketFactory(customer=customer, data={"email": "not-an-address"})
    assert not customer.tickets.exists()
