"""An OTP sent through the messaging layer reaches the customer and nowhere else: not a
table, not the task's payload on the broker, not the logs, not an error message."""

import base64
import contextlib
import json
import logging

import pytest
import redis
from celery import Celery, current_app
from django.apps import apps
from django.conf import settings

from profiledesk.messaging.models import Message, Status
from profiledesk.messaging.tasks import send_message

from .helpers import CODE, queue_otp

pytestmark = pytest.mark.django_db

# A Redis database of its own, so no other test's worker consumes what is published here.
BROKER_DB = 13


@contextlib.contextmanager
def desk_celery_on(broker_url: str):
    """The desk's Celery app as configured from settings, on another broker."""
    previous = current_app._get_current_object()
    app = Celery("profiledesk", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=broker_url, result_backend=broker_url)
    app.set_current()
    try:
        yield app
    finally:
        previous.set_current()
        app.close()


def rows_containing(text: str) -> list[str]:
    """ "table: row" of every row of every model (history included) showing `text`."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        names = [f.attname for f in model._meta.concrete_fields]
        for row in model._default_manager.values_list(*names):
            if any(text in str(value) for value in row):
                found.append(f"{model._meta.db_table}: {row}")
    return found


@pytest.fixture
def broker(redis_up):
    url = settings.REDIS_URL.rsplit("/", 1)[0] + f"/{BROKER_DB}"
    store = redis.Redis.from_url(url)
    store.flushdb()
    with desk_celery_on(url):
        yield store
    store.flushdb()
    store.close()


def published_tasks(store) -> list[dict]:
    """The task messages waiting on the default queue, decoded as a worker would."""
    tasks = []
    for raw in store.lrange("celery", 0, -1):
        envelope = json.loads(raw)
        body = json.loads(base64.b64decode(envelope["body"]))
        tasks.append({"raw": raw.decode(), "headers": envelope["headers"], "body": body})
    return tasks


def test_the_code_reaches_the_customer_and_no_table_payload_or_log(
    northwind, customer, smtp_server, broker, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_otp(northwind, customer=customer)

    # On the broker: the task's name and the message id, nothing else.
    [task] = published_tasks(broker)
    assert task["headers"]["task"] == "messaging.send_message"
    assert task["body"][0] == [message.pk]
    assert task["body"][1] == {}
    assert CODE not in task["raw"]
    # In the database before sending: only as a Fernet token.
    assert rows_containing(CODE) == []

    assert send_message.apply(args=task["body"][0]).get() == "sent"

    # The customer got it (so the searches below could have found it)...
    assert CODE in smtp_server.messages[0]["raw"]
    # ...and it is nowhere else, not even encrypted.
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.body_encrypted == ""
    assert rows_containing(CODE) == []
    assert CODE not in desk_log(caplog)


def desk_log(caplog) -> str:
    """Everything logged, but for the stand-in SMTP server's own log ("mail.log"): it is
    the customer's side, and it logs the DATA it receives."""
    records = [r for r in caplog.records if not r.name.startswith("mail.")]
    return "\n".join(caplog.handler.format(r) for r in records)


def test_a_failed_send_records_an_error_without_the_code(northwind, sms_gateway, caplog, settings):
    caplog.set_level(logging.DEBUG)
    settings.MESSAGING_MAX_ATTEMPTS = 2
    refused = queue_otp(northwind, channel="sms", to="+447700900123", key="refused")
    exhausted = queue_otp(northwind, channel="sms", to="+447700900123", key="exhausted")

    sms_gateway.failures = [400]  # its answer echoes the text, code included
    send_message.apply(args=[refused.pk])
    sms_gateway.failures = [503, 503]
    send_message.apply(args=[exhausted.pk])

    assert list(
        Message.objects.filter(pk__in=[refused.pk, exhausted.pk])
        .order_by("pk")
        .values_list("status", "last_error", "body_encrypted")
    ) == [
        (Status.FAILED, "SMS gateway refused the message: HTTP 400", ""),
        (Status.FAILED, "gave up: SMS gateway answered HTTP 503", ""),
    ]
    assert rows_containing(CODE) == []
    assert CODE not in desk_log(caplog)
