"""End to end with a real `celery worker` process on the Redis of tests/with_services.sh:
an OTP queued in a committed transaction reaches the (real, local) SMS gateway once."""

import os
import time

import pytest
from django.conf import settings
from django.db import transaction

from profiledesk.messaging.models import Message, Status
from profiledesk.messaging.tasks import send_message
from tests.celery_worker import purge_broker, start_worker, stop_worker, wait_for

from .helpers import CODE, queue_otp


@pytest.fixture
def sms_worker(redis_up, sms_gateway, tmp_path):
    """A worker process of the desk's app, on the test database, sending SMS to the
    recording gateway of `sms_gateway`."""
    log = tmp_path / "worker.log"
    purge_broker()  # other tests' queued tasks are not this worker's to count
    worker = start_worker(
        log,
        name="messaging",
        SMS_GATEWAY="profiledesk.messaging.sms.HttpGateway",
        SMS_GATEWAY_URL=settings.SMS_GATEWAY_URL,
        SMS_GATEWAY_TOKEN=settings.SMS_GATEWAY_TOKEN,
    )
    try:
        yield log
    finally:
        stop_worker(worker)


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the worker process needs the PostgreSQL of tests/with_services.sh",
)
@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_a_committed_otp_once_and_the_code_stays_off_the_broker(
    northwind, sms_gateway, sms_worker
):
    with transaction.atomic():
        message = queue_otp(northwind, channel="sms", to="+447700900123")
    # The task delivered again (a redelivery after a lost ack) must not send twice.
    send_message.delay(message.pk)

    wait_for(lambda: Message.objects.get(pk=message.pk).status == Status.SENT)
    time.sleep(1)  # give the second task its chance to (wrongly) send again

    assert len(sms_gateway.requests) == 1
    assert CODE in sms_gateway.requests[0]["json"]["text"]
    message.refresh_from_db()
    assert message.provider_message_id == "gw-1"
    assert message.body_encrypted == ""
    worker_log = sms_worker.read_text()
    assert worker_log.count("succeeded") == 2, worker_log
    assert CODE not in worker_log
