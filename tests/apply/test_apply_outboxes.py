"""ticket_apply writes the outbox rows in its own transaction: one delivery per connector
of the client that receives the category (profiledesk/connectors) and the customer's
confirmations (profiledesk/confirmations); none when anything fails."""

import pytest

from profiledesk.apply.services import ApplyError, ticket_apply
from profiledesk.connectors.models import Delivery, Kind
from profiledesk.messaging.models import Message
from profiledesk.tickets.models import ChangeItem, State, TicketEvent
from tests.connectors.helpers import connector_for
from tests.factories import complete_customer

from .helpers import applicable

pytestmark = pytest.mark.usefixtures("clock")


def test_a_security_command_goes_to_the_identity_system_only(customer, personas, northwind):
    identity = connector_for(
        northwind, url="https://id.example/hook", kind=Kind.IDENTITY, categories=["security"]
    )
    connector_for(northwind, url="https://crm.example/hook", categories=["contact"])
    ticket = applicable(customer, personas, "security", {"password_reset": True})
    ticket_apply(ticket=ticket, by=personas["agent"])

    [delivery] = Delivery.objects.filter(ticket=ticket)
    assert delivery.connector == identity
    data = delivery.event["data"]
    assert data["commands"] == ["password_reset"]
    assert data["customer"] == customer.number
    assert delivery.event["ticket"] == ticket.reference
    assert Message.objects.filter(ticket=ticket).exists()  # the customer's confirmation


def test_a_failing_item_writes_no_delivery_and_no_confirmation(customer, personas, northwind):
    connector_for(northwind, url="https://crm.example/hook", categories=["preferences"])
    ticket = applicable(customer, personas, "preferences", {"marketing_email": True})
    ChangeItem.objects.create(
        ticket=ticket,
        position=9,
        section="preferences",
        field="preferences.marketing_sms",
        label="Promotional SMS",
        new_value="perhaps",
    )
    with pytest.raises(ApplyError):
        ticket_apply(ticket=ticket, by=personas["agent"])
    assert not Delivery.objects.exists()
    assert not Message.objects.filter(ticket=ticket).exists()


def test_a_ticket_with_nobody_to_tell_closes_as_it_is_applied(northwind, personas):
    customer = complete_customer(northwind, emails=0, phones=0)
    ticket = applicable(customer, personas, "preferences", {"marketing_email": True})
    ticket_apply(ticket=ticket, by=personas["agent"])
    ticket.refresh_from_db()
    assert ticket.state == State.CLOSED
    moves = TicketEvent.objects.filter(ticket=ticket, kind="transition").order_by("at", "id")
    assert [e.to_state for e in moves][-2:] == [State.APPLIED, State.CLOSED]


def test_a_ticket_waits_in_applied_for_its_confirmations(customer, personas):
    ticket = applicable(customer, personas, "preferences", {"marketing_email": True})
    ticket_apply(ticket=ticket, by=personas["agent"])
    ticket.refresh_from_db()
    assert ticket.state == State.APPLIED
    assert Message.objects.filter(ticket=ticket, status="queued").exists()
