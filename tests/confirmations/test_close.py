"""confirmations.services.ticket_close_if_done: an applied ticket closes once every
confirmation is sent and every downstream delivery acknowledged, never before, once."""

from unittest import mock

import pytest
from django.utils import timezone

from profiledesk.confirmations.services import confirmations_create, ticket_close_if_done
from profiledesk.connectors.models import Connector, Delivery
from profiledesk.privacy.masking import mask_email
from profiledesk.tickets.models import State, TicketEvent
from profiledesk.tickets.states import TransitionError, allowed_moves, transition

from .conftest import email_change, send, set_fields

pytestmark = pytest.mark.django_db


def state_of(ticket) -> str:
    ticket.refresh_from_db()
    return ticket.state


def test_the_ticket_closes_when_the_last_confirmation_is_sent(customer):
    ticket, _old = email_change(customer)
    first, second = confirmations_create(ticket=ticket)

    assert ticket_close_if_done(ticket=ticket) is False  # nothing sent yet
    assert send(first) == "sent"
    assert state_of(ticket) == State.APPLIED
    assert send(second) == "sent"  # the send task closes it

    assert state_of(ticket) == State.CLOSED
    closing = TicketEvent.objects.get(ticket=ticket, to_state=State.CLOSED)
    assert closing.from_state == State.APPLIED and closing.actor is None


def test_the_timeline_shows_each_confirmation_sent_to_a_masked_recipient(customer):
    ticket, old = email_change(customer)
    for message in confirmations_create(ticket=ticket):
        send(message)

    notes = list(
        TicketEvent.objects.filter(
            ticket=ticket, message__startswith="Confirmation sent"
        ).values_list("message", flat=True)
    )

    assert sorted(notes) == sorted(
        [
            f"Confirmation sent by E-mail to {mask_email(old)}.",
            "Confirmation sent by E-mail to n•••@example.com.",
        ]
    )


def test_closing_is_idempotent(customer):
    ticket, _old = email_change(customer)
    for message in confirmations_create(ticket=ticket):
        send(message)

    assert ticket_close_if_done(ticket=ticket) is False  # already closed by the task

    assert TicketEvent.objects.filter(ticket=ticket, to_state=State.CLOSED).count() == 1
    assert (
        TicketEvent.objects.filter(ticket=ticket, message__startswith="Confirmation sent").count()
        == 2
    )


def test_a_failed_confirmation_keeps_the_ticket_open(customer):
    from profiledesk.messaging.services import message_claim, message_fail

    ticket, _old = email_change(customer)
    first, second = confirmations_create(ticket=ticket)
    send(first)
    message_claim(message_id=second.pk)
    message_fail(message_id=second.pk, error="refused")

    assert ticket_close_if_done(ticket=ticket) is False
    assert state_of(ticket) == State.APPLIED


def delivery(ticket, status=Delivery.status.field.default):
    connector = Connector.objects.create(
        client=ticket.client, name=f"CRM {ticket.pk}", kind="crm", url="https://crm.example/hook"
    )
    return Delivery.objects.create(
        client=ticket.client,
        ticket=ticket,
        connector=connector,
        event={"reference": ticket.reference},
        event_id=f"ev-{ticket.pk}",
        idempotency_key=f"ev-{ticket.pk}:{connector.pk}",
        status=status,
        next_attempt_at=timezone.now(),
        created_at=timezone.now(),
    )


def test_the_ticket_waits_for_every_downstream_acknowledgement(customer):
    ticket, _old = email_change(customer)
    pending = delivery(ticket)
    for message in confirmations_create(ticket=ticket):
        send(message)
    assert state_of(ticket) == State.APPLIED

    Delivery.objects.filter(pk=pending.pk).update(status="delivered")

    assert ticket_close_if_done(ticket=ticket) is True
    assert state_of(ticket) == State.CLOSED


def test_a_delivery_that_gave_up_keeps_the_ticket_open(customer):
    ticket, _old = email_change(customer)
    delivery(ticket, status="gave_up")
    for message in confirmations_create(ticket=ticket):
        send(message)

    assert ticket_close_if_done(ticket=ticket) is False
    assert state_of(ticket) == State.APPLIED


def test_no_button_and_no_staff_member_can_close_an_applied_ticket(customer, personas):
    ticket, _old = email_change(customer)
    for message in confirmations_create(ticket=ticket):
        message.status = "sent"
        message.save(update_fields=["status"])

    for user in personas.values():
        assert all(move.target != State.CLOSED for move in allowed_moves(ticket, user))
    with pytest.raises(TransitionError):
        transition(ticket=ticket, to=State.CLOSED, by=personas["supervisor"])


def test_a_ticket_that_is_not_applied_is_left_alone(customer):
    ticket, _old = email_change(customer)
    confirmations_create(ticket=ticket)
    set_fields(ticket, state=State.ROLLED_BACK)  # save(): history records it (docs/design.md §7)

    assert ticket_close_if_done(ticket=ticket) is False
    assert state_of(ticket) == State.ROLLED_BACK


@pytest.mark.django_db(transaction=True)
def test_two_workers_closing_at_once_close_it_once(northwind):
    import threading

    from django.db import connection

    from profiledesk.messaging.models import Message
    from tests.factories import complete_customer

    customer = complete_customer(northwind)
    ticket, _old = email_change(customer)
    # Committed for real here: keep the send tasks off the shared broker.
    with mock.patch("profiledesk.messaging.services._enqueue"):
        confirmations_create(ticket=ticket)
    Message.objects.filter(ticket=ticket).update(status="sent")
    results, barrier = [], threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            results.append(ticket_close_if_done(ticket=ticket))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, True]
    assert TicketEvent.objects.filter(ticket=ticket, to_state=State.CLOSED).count() == 1
