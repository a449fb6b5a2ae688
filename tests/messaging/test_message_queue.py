"""messaging.services.message_queue: the row in the caller's transaction, the task on
commit with the id only, once per idempotency key."""

from unittest import mock

import pytest
from django.db import transaction

from profiledesk.messaging import crypto, services
from profiledesk.messaging.models import Message, Status
from profiledesk.messaging.selectors import messages_for_ticket
from profiledesk.messaging.services import message_queue
from profiledesk.messaging.tasks import send_message
from tests.factories import TicketFactory

from .helpers import CODE, queue_otp

pytestmark = pytest.mark.django_db


def test_queueing_writes_a_queued_row_and_sends_its_id_on_commit(
    northwind, customer, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(customer=customer)
    with (
        mock.patch.object(send_message, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        message = queue_otp(northwind, ticket=ticket, customer=customer)
        delay.assert_not_called()  # not before the commit

    assert len(callbacks) == 1
    delay.assert_called_once_with(message.pk)
    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert message.attempts == 0
    assert (message.client, message.ticket, message.customer) == (northwind, ticket, customer)
    assert (message.channel, message.recipient, message.template) == (
        "email",
        "grace@example.com",
        "otp",
    )
    assert message.language == "en"


def test_the_same_idempotency_key_returns_the_first_message_and_queues_nothing_more(
    northwind, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(send_message, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = queue_otp(northwind, key="otp-ticket-7-1")
        again = queue_otp(northwind, key="otp-ticket-7-1", to="someone@else.example")

    assert again.pk == first.pk
    assert again.recipient == "grace@example.com"
    assert Message.objects.count() == 1
    delay.assert_called_once_with(first.pk)


def test_a_rolled_back_action_leaves_no_message_and_queues_nothing(
    northwind, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(send_message, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queue_otp(northwind)
        raise RuntimeError("the wizard's step failed")

    assert Message.objects.count() == 0
    assert callbacks == []
    delay.assert_not_called()


def test_a_secret_message_is_kept_encrypted_and_shown_redacted(northwind):
    message = queue_otp(northwind)

    assert message.has_secret
    assert message.body_text == message.body_html == ""
    assert CODE not in message.body_encrypted
    assert crypto.unseal(message.body_encrypted)["text"].count(CODE) == 1
    assert "••••••" in message.text_redacted
    assert CODE not in message.text_redacted
    assert message.subject == "Your Northwind Energy verification code"


def test_a_message_without_secrets_keeps_its_rendered_body_in_clear(northwind):
    message = message_queue(
        client=northwind,
        channel="sms",
        to="+447700900123",
        template="otp",
        context={"code": "not secret here", "valid_minutes": 10, "client_name": "Northwind"},
        idempotency_key="plain-1",
    )

    assert not message.has_secret
    assert message.body_encrypted == ""
    assert "not secret here" in message.body_text
    assert message.text_redacted == message.body_text
    assert message.subject == ""  # an SMS has no subject


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"channel": "fax"}, "unknown channel"),
        ({"idempotency_key": ""}, "idempotency key"),
        ({"secret_keys": ("pin",)}, "secret keys not in the context"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_written(northwind, kwargs, error):
    arguments = {
        "client": northwind,
        "channel": "email",
        "to": "grace@example.com",
        "template": "otp",
        "context": {"code": CODE, "valid_minutes": 10, "client_name": "Northwind"},
        "idempotency_key": "k-1",
        **kwargs,
    }
    with pytest.raises(ValueError, match=error):
        message_queue(**arguments)
    assert Message.objects.count() == 0


def test_a_message_sealed_with_a_lost_key_fails_instead_of_sticking(northwind, settings):
    message = queue_otp(northwind)
    settings.SECRET_KEY = "another-secret-key-the-message-was-not-sealed-with-0123456789"

    assert services.message_claim(message_id=message.pk) is None

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.last_error == "the encrypted body cannot be decrypted"
    assert message.body_encrypted == ""


def test_a_tickets_messages_are_listed_oldest_first_in_one_query(
    northwind, customer, django_assert_num_queries
):
    ticket = TicketFactory(customer=customer)
    first = queue_otp(northwind, ticket=ticket, key="a")
    second = queue_otp(northwind, ticket=ticket, channel="sms", to="+447700900123", key="b")
    queue_otp(northwind, key="c")  # another ticket's

    # Expect 1 query: the ticket's messages.
    with django_assert_num_queries(1):
        shown = list(messages_for_ticket(ticket=ticket))

    assert shown == [first, second]
    assert "body_encrypted" in shown[0].get_deferred_fields()
