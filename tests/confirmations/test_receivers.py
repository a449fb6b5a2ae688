"""Closing a ticket listens to the transports (confirmations.receivers): the send task
announces `message_sent`, the deliver task `delivery_acknowledged`, and the applied
ticket closes once, however often it is announced, and a closing that fails never
undoes the send."""

import logging

import pytest
from django.utils import timezone

from profiledesk.confirmations.services import confirmations_create
from profiledesk.connectors.models import Delivery
from profiledesk.connectors.models import Status as DeliveryStatus
from profiledesk.connectors.signals import delivery_acknowledged
from profiledesk.connectors.tasks import deliver
from profiledesk.messaging.models import Message, Status
from profiledesk.messaging.signals import message_sent
from profiledesk.tickets.models import State, TicketEvent
from tests.connectors.helpers import EVENT, connector_for

from .conftest import email_change, send

pytestmark = pytest.mark.django_db


def state_of(ticket) -> str:
    ticket.refresh_from_db()
    return ticket.state


def pending_delivery(ticket) -> Delivery:
    connector = connector_for(
        ticket.client, url="https://crm.example/hook", name=f"CRM {ticket.pk}"
    )
    return Delivery.objects.create(
        client=ticket.client,
        ticket=ticket,
        connector=connector,
        event=EVENT,
        event_id=f"ev-{ticket.pk}",
        idempotency_key=f"ev-{ticket.pk}:{connector.pk}",
        next_attempt_at=timezone.now(),
        created_at=timezone.now(),
    )


class Acknowledged:
    """What a downstream system answers when it has the change."""

    status_code = 200

    def close(self) -> None:
        pass


def test_an_acknowledged_delivery_closes_the_ticket_through_the_receiver(customer, monkeypatch):
    ticket, _old = email_change(customer)
    delivery = pending_delivery(ticket)
    for message in confirmations_create(ticket=ticket):
        assert send(message) == "sent"
    assert state_of(ticket) == State.APPLIED  # the downstream system has not answered

    monkeypatch.setattr(
        "profiledesk.connectors.tasks.requests.post", lambda *a, **kw: Acknowledged()
    )
    assert deliver.apply(args=[delivery.pk]).result == "delivered"

    assert state_of(ticket) == State.CLOSED


def test_the_last_message_sent_closes_the_ticket_through_the_receiver(customer):
    ticket, _old = email_change(customer)
    *first, last = confirmations_create(ticket=ticket)
    for message in first:
        send(message)
    assert state_of(ticket) == State.APPLIED

    assert send(last) == "sent"

    assert state_of(ticket) == State.CLOSED


def test_announcing_twice_closes_the_ticket_once(customer):
    # A redelivered task announces again; the ticket row lock makes the second a no-op.
    ticket, _old = email_change(customer)
    messages = confirmations_create(ticket=ticket)
    Message.objects.filter(ticket=ticket).update(status=Status.SENT)
    delivery = pending_delivery(ticket)
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.DELIVERED)

    for _ in range(2):
        message_sent.send_robust(sender=Message, message_id=messages[0].pk)
        delivery_acknowledged.send_robust(sender=Delivery, delivery_id=delivery.pk)

    assert state_of(ticket) == State.CLOSED
    assert TicketEvent.objects.filter(ticket=ticket, to_state=State.CLOSED).count() == 1


def test_an_announcement_about_another_tickets_delivery_leaves_this_ticket_alone(customer):
    ticket, _old = email_change(customer)
    other, _ = email_change(customer, new="other.address@example.com")
    confirmations_create(ticket=ticket)
    Message.objects.filter(ticket=ticket).update(status=Status.SENT)
    pending_delivery(ticket)  # this ticket still waits for its downstream system
    theirs = pending_delivery(other)
    Delivery.objects.filter(pk=theirs.pk).update(status=DeliveryStatus.DELIVERED)

    delivery_acknowledged.send_robust(sender=Delivery, delivery_id=theirs.pk)

    assert state_of(ticket) == State.APPLIED


def test_a_closing_that_fails_is_logged_and_the_message_stays_sent(customer, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr("profiledesk.confirmations.receivers.ticket_close_after_message", broken)
    ticket, _old = email_change(customer)
    [first, *_rest] = confirmations_create(ticket=ticket)

    with caplog.at_level(logging.ERROR):
        assert send(first) == "sent"

    first.refresh_from_db()
    assert first.status == Status.SENT
    assert f"closing the ticket of message {first.pk} failed" in caplog.text
