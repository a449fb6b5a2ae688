"""messaging.services.messages_sweep (run by Celery beat): messages no worker picked up,
or whose worker died while sending, are queued again; nothing fresh is touched."""

import datetime as dt
from unittest import mock

import pytest
import time_machine
from django.conf import settings as django_settings
from django.utils import timezone

from profiledesk.messaging.models import Message, Status
from profiledesk.messaging.services import message_claim, messages_sweep
from profiledesk.messaging.tasks import send_message

from .helpers import queue_otp

pytestmark = pytest.mark.django_db


def test_beat_runs_the_sweep_every_minute():
    entry = django_settings.CELERY_BEAT_SCHEDULE["messaging-sweep"]
    assert entry == {"task": "messaging.sweep", "schedule": 60.0}


def test_a_message_never_picked_up_is_queued_again(northwind):
    with time_machine.travel(timezone.now() - dt.timedelta(minutes=5), tick=False):
        stale = queue_otp(northwind, key="stale")  # its task was lost (Redis was down)
    fresh = queue_otp(northwind, key="fresh")  # its task is on its way

    with mock.patch.object(send_message, "delay") as delay:
        assert messages_sweep() == 1

    delay.assert_called_once_with(stale.pk)
    stale.refresh_from_db()
    assert stale.status == Status.QUEUED
    assert stale.due_at > fresh.due_at - dt.timedelta(seconds=1)  # due again from now
    # A second sweep right away leaves it with its worker.
    with mock.patch.object(send_message, "delay") as delay:
        assert messages_sweep() == 0
    delay.assert_not_called()


def test_a_message_whose_worker_died_while_sending_is_queued_again(northwind):
    with time_machine.travel(timezone.now() - dt.timedelta(minutes=15), tick=False):
        message = queue_otp(northwind)
        assert message_claim(message_id=message.pk) is not None  # then the worker died

    with mock.patch.object(send_message, "delay") as delay:
        assert messages_sweep() == 1

    delay.assert_called_once_with(message.pk)
    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert message.last_error == "the worker stopped while sending"


def test_a_message_being_sent_right_now_is_left_alone(northwind):
    with time_machine.travel(timezone.now() - dt.timedelta(minutes=5), tick=False):
        message = queue_otp(northwind)
    assert message_claim(message_id=message.pk) is not None  # a worker is sending it

    with mock.patch.object(send_message, "delay") as delay:
        assert messages_sweep() == 0

    delay.assert_not_called()
    assert Message.objects.get(pk=message.pk).status == Status.SENDING


def test_a_message_out_of_attempts_fails_instead_of_being_queued_again(northwind, settings):
    settings.MESSAGING_MAX_ATTEMPTS = 1
    with time_machine.travel(timezone.now() - dt.timedelta(minutes=15), tick=False):
        message = queue_otp(northwind)
        message_claim(message_id=message.pk)

    with mock.patch.object(send_message, "delay") as delay:
        assert messages_sweep() == 0

    delay.assert_not_called()
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.body_encrypted == ""


def test_sent_and_failed_messages_are_never_swept(northwind, smtp_server):
    with time_machine.travel(timezone.now() - dt.timedelta(hours=1), tick=False):
        sent = queue_otp(northwind, key="sent")
        send_message.apply(args=[sent.pk])
        failed = queue_otp(northwind, key="failed")
        Message.objects.filter(pk=failed.pk).update(status=Status.FAILED)

    with mock.patch.object(send_message, "delay") as delay:
        assert messages_sweep() == 0
    delay.assert_not_called()
    assert len(smtp_server.messages) == 1


def test_the_swept_message_is_then_delivered_once(northwind, smtp_server):
    with time_machine.travel(timezone.now() - dt.timedelta(minutes=5), tick=False):
        message = queue_otp(northwind)

    with mock.patch.object(send_message, "delay") as delay:
        messages_sweep()
    # The original task turns up after all, as well as the sweep's.
    for _ in range(2):
        send_message.apply(args=delay.call_args.args)

    assert len(smtp_server.messages) == 1
    assert Message.objects.get(pk=message.pk).status == Status.SENT
