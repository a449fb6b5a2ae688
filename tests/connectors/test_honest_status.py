"""The desk never claims that downstream systems have a change none of them receives
(issue 15): the ticket, its approval card and its closing say so."""

import pytest
import time_machine
from django.urls import reverse

from profiledesk.apply.services import ticket_apply
from profiledesk.connectors.models import Kind
from profiledesk.tickets.models import State, TicketEvent
from tests.apply.helpers import applicable
from tests.approvals.helpers import WEDNESDAY
from tests.conftest import signed_in
from tests.factories import complete_customer

from .helpers import connector_for

NONE_CONFIGURED = "No downstream system is configured for preferences changes"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


def page(ticket, user) -> str:
    response = signed_in(user).get(reverse("tickets:detail", args=[ticket.reference]))
    assert response.status_code == 200
    return response.text


def test_with_no_connector_the_ticket_says_only_the_desk_has_the_change(northwind, personas):
    customer = complete_customer(northwind, emails=0, phones=0)  # nobody to confirm to
    ticket = applicable(customer, personas, "preferences", {"marketing_email": True})
    assert NONE_CONFIGURED in page(ticket, personas["agent"])  # before: on the approval card

    ticket_apply(ticket=ticket, by=personas["agent"])
    ticket.refresh_from_db()
    assert ticket.state == State.CLOSED
    closing = TicketEvent.objects.get(ticket=ticket, to_state=State.CLOSED)
    assert closing.message == "The customer is told; no downstream system receives this change."
    text = page(ticket, personas["agent"])
    assert NONE_CONFIGURED in text
    assert "every downstream system has the change" not in text


def test_a_connector_receiving_the_category_is_named_before_apply(northwind, personas):
    connector_for(
        northwind,
        url="https://crm.example/hook",
        kind=Kind.COMMUNICATIONS,
        categories=["preferences"],
        name="Northwind Messaging",
    )
    customer = complete_customer(northwind, emails=0, phones=0)
    ticket = applicable(customer, personas, "preferences", {"marketing_email": True})
    text = page(ticket, personas["agent"])
    assert "Once applied, it goes to: Northwind Messaging" in text
    assert NONE_CONFIGURED not in text


def test_a_connector_whose_scope_misses_the_fields_is_not_counted_as_told(northwind, personas):
    connector_for(
        northwind,
        url="https://crm.example/hook",
        kind=Kind.CRM,
        categories=["preferences"],
        scope=["emailaddress.email"],
    )
    customer = complete_customer(northwind, emails=0, phones=0)
    ticket = applicable(customer, personas, "preferences", {"marketing_email": True})
    ticket_apply(ticket=ticket, by=personas["agent"])
    ticket.refresh_from_db()
    text = page(ticket, personas["agent"])
    assert "none has these fields in its data scope" in text
    closing = TicketEvent.objects.get(ticket=ticket, to_state=State.CLOSED)
    assert "no downstream system" in closing.message
