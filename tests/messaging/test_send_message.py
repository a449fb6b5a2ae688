"""messaging.tasks.send_message through a real SMTP server and a real HTTP server that
stands in for the SMS gateway."""

import datetime as dt
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from profiledesk.messaging import services
from profiledesk.messaging.models import Status
from profiledesk.messaging.services import message_queue
from profiledesk.messaging.tasks import send_message

from .helpers import CODE, queue_otp

pytestmark = pytest.mark.django_db


def run(message) -> str:
    """The task as a worker runs it (eagerly: retries run at once, in this process)."""
    return send_message.apply(args=[message.pk]).get()


def test_an_email_goes_through_smtp_with_text_and_html_parts(northwind, smtp_server):
    message = queue_otp(northwind)

    assert run(message) == "sent"

    [received] = smtp_server.messages
    assert received["to"] == ["grace@example.com"]
    email = received["message"]
    assert email["Subject"] == "Your Northwind Energy verification code"
    assert CODE in email.get_body(preferencelist=("plain",)).get_content()
    assert CODE in email.get_body(preferencelist=("html",)).get_content()
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.provider_message_id == email["Message-ID"].strip()


def test_an_sms_goes_to_the_gateway_as_json_with_the_bearer_token(northwind, sms_gateway):
    message = queue_otp(northwind, channel="sms", to="+447700900123", key="otp-sms-1")

    assert run(message) == "sent"

    [request] = sms_gateway.requests
    assert request["path"] == "/v1/messages"
    assert request["authorization"] == "Bearer gateway-test-token"
    assert request["content_type"] == "application/json"
    assert request["json"]["to"] == "+447700900123"
    assert request["json"]["reference"] == "otp-sms-1"
    assert CODE in request["json"]["text"]
    message.refresh_from_db()
    assert (message.status, message.provider_message_id) == (Status.SENT, "gw-1")


def test_a_task_run_twice_delivers_once(northwind, smtp_server, sms_gateway):
    email = queue_otp(northwind, key="twice-email")
    sms = queue_otp(northwind, channel="sms", to="+447700900123", key="twice-sms")

    assert [run(email), run(email)] == ["sent", "skipped"]
    assert [run(sms), run(sms)] == ["sent", "skipped"]

    assert len(smtp_server.messages) == 1
    assert len(sms_gateway.requests) == 1


def test_a_message_claimed_by_another_worker_is_left_alone(northwind, sms_gateway):
    message = queue_otp(northwind, channel="sms", to="+447700900123")
    assert services.message_claim(message_id=message.pk) is not None  # the other worker

    assert run(message) == "skipped"
    assert sms_gateway.requests == []


def test_a_transient_gateway_error_is_recorded_and_retried_with_back_off(northwind, sms_gateway):
    sms_gateway.failures = [503]
    message = queue_otp(northwind, channel="sms", to="+447700900123")
    started = timezone.now()

    with (
        mock.patch.object(send_message, "retry", side_effect=Retry()) as retry,
        pytest.raises(Retry),
    ):
        send_message.run(message.pk)

    retry.assert_called_once_with(countdown=30)
    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert message.attempts == 1
    assert message.last_error == "SMS gateway answered HTTP 503"
    assert message.due_at >= started + dt.timedelta(seconds=30)
    # The retry sends it.
    assert run(message) == "sent"
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (Status.SENT, 2, "")
    assert len(sms_gateway.requests) == 1


def test_the_back_off_doubles_up_to_half_an_hour():
    assert [services.retry_delay(n) for n in (1, 2, 3, 4, 10)] == [30, 60, 120, 240, 1800]


def test_retries_stop_after_the_last_attempt_and_the_message_fails(
    northwind, sms_gateway, settings
):
    settings.MESSAGING_MAX_ATTEMPTS = 3
    sms_gateway.failures = [502, 502, 502, 502]
    message = queue_otp(northwind, channel="sms", to="+447700900123")

    assert run(message) == "failed"

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 3
    assert message.last_error == "gave up: SMS gateway answered HTTP 502"
    assert message.body_encrypted == ""  # nothing left to decrypt
    assert sms_gateway.failures == [502]  # three tries, no fourth


def test_a_refusal_fails_at_once_without_retrying(northwind, sms_gateway):
    sms_gateway.failures = [400]
    message = queue_otp(northwind, channel="sms", to="+447700900123")

    assert run(message) == "failed"

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 1)
    assert message.last_error == "SMS gateway refused the message: HTTP 400"


def test_an_unreachable_gateway_is_a_transient_error(northwind, settings):
    from .conftest import free_port

    settings.SMS_GATEWAY = "profiledesk.messaging.sms.HttpGateway"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{free_port()}/v1/messages"
    message = queue_otp(northwind, channel="sms", to="+447700900123")

    with mock.patch.object(send_message, "retry", side_effect=Retry()), pytest.raises(Retry):
        send_message.run(message.pk)

    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert message.last_error == "SMS gateway: ConnectionError"


def test_an_smtp_temporary_failure_is_retried_and_then_delivered(northwind, smtp_server):
    smtp_server.refusals = ["451 4.3.0 Try again later"]
    message = queue_otp(northwind)

    assert run(message) == "sent"

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 2)
    assert len(smtp_server.messages) == 1


def test_an_smtp_permanent_refusal_fails_the_message(northwind, smtp_server):
    smtp_server.refusals = ["554 5.7.1 Rejected"]
    message = queue_otp(northwind)

    assert run(message) == "failed"

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.last_error == "SMTP answered 554"
    assert smtp_server.messages == []


def test_a_message_without_secret_is_sent_from_its_stored_body(northwind, smtp_server):
    message = message_queue(
        client=northwind,
        channel="email",
        to="grace@example.com",
        template="otp",
        context={"code": "PLAIN", "valid_minutes": 5, "client_name": "Northwind"},
        idempotency_key="plain",
    )

    assert run(message) == "sent"

    body = smtp_server.messages[0]["message"].get_body(preferencelist=("plain",))
    assert "PLAIN" in body.get_content()
    message.refresh_from_db()
    assert "PLAIN" in message.body_text  # the record of what was sent stays


def test_a_message_sent_again_carries_the_same_message_id(settings, mailoutbox):
    """A worker killed between the SMTP server's 250 and "sent" makes the sweep send the
    message again: its Message-ID is the same, so the customer's mail keeps one."""
    from profiledesk.messaging.email import send_email

    first = send_email(to="a@example.com", subject="s", text="t", html="", reference="ref-1")
    again = send_email(to="a@example.com", subject="s", text="t", html="", reference="ref-1")
    other = send_email(to="a@example.com", subject="s", text="t", html="", reference="ref-2")
    assert first == again != other
    assert [m.extra_headers["Message-ID"] for m in mailoutbox] == [first, again, other]
