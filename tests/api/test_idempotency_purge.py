"""Idempotency records are forgotten after API_IDEMPOTENCY_DAYS (daily beat task): old ones
are deleted in batches, recent ones kept, tickets untouched; a retry with a forgotten key
opens a new ticket."""

import datetime as dt

import time_machine
from django.conf import settings
from django.utils import timezone

from profiledesk.api.models import IdempotencyRecord
from profiledesk.api.services import idempotency_records_purge
from profiledesk.api.tasks import idempotency_purge
from profiledesk.tickets.models import Ticket
from tests.api.conftest import email_change, submit


def _submit_at(api, customer, when, key, email):
    with time_machine.travel(when, tick=False):
        response = submit(api, email_change(customer, email), key=key)
    assert response.status_code == 201
    return response.json()["reference"]


def test_records_past_their_days_are_deleted_and_recent_ones_kept(api, customer, settings):
    settings.API_IDEMPOTENCY_DAYS = 7
    now = timezone.now()
    old = [
        _submit_at(api, customer, now - dt.timedelta(days=8, minutes=n), f"old-{n}", f"o{n}@x.io")
        for n in range(5)
    ]
    _submit_at(api, customer, now - dt.timedelta(days=6), "recent", "recent@x.io")

    assert idempotency_records_purge(batch_size=2) == 5  # three batches

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["recent"]
    # The tickets stay: only the memory of the key goes.
    assert Ticket.objects.filter(reference__in=old).count() == 5


def test_the_task_is_idempotent(api, customer):
    _submit_at(api, customer, timezone.now() - dt.timedelta(days=30), "k", "k@x.io")
    assert idempotency_purge() == 1
    assert idempotency_purge() == 0


def test_a_retry_after_the_key_is_forgotten_opens_a_new_ticket(api, customer):
    body = email_change(customer, "late@x.io")
    with time_machine.travel(timezone.now() - dt.timedelta(days=8), tick=False):
        first = submit(api, body, key="retry-me").json()["reference"]
    assert submit(api, body, key="retry-me").status_code == 200  # still remembered
    idempotency_records_purge()
    again = submit(api, body, key="retry-me")
    assert again.status_code == 201
    assert again.json()["reference"] != first


def test_the_purge_runs_daily_from_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["api-idempotency-purge"]
    assert entry == {"task": "api.idempotency_purge", "schedule": 86400.0}
