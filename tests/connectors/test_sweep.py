"""The beat sweep queues again the deliveries whose task was lost (Redis down, worker
gone): open, well past due, and held by no worker."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from profiledesk.connectors import services, tasks
from profiledesk.connectors.models import Delivery, Status
from profiledesk.connectors.services import deliveries_create
from tests.factories import TicketFactory

from .helpers import EVENT, connector_for, mark_applied


@pytest.fixture
def queued(monkeypatch):
    ids: list[int] = []
    monkeypatch.setattr(tasks.deliver, "delay", ids.append)
    return ids


@pytest.fixture
def delivery(customer, agent, northwind):
    ticket = TicketFactory(customer=customer, created_by=agent)
    mark_applied(ticket)
    connector_for(northwind, url="https://crm.example/hook")
    [delivery] = deliveries_create(ticket=ticket, event=EVENT)
    return delivery


def test_a_delivery_never_picked_up_is_queued_again_after_a_minute(delivery, queued):
    start = delivery.next_attempt_at
    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        assert services.deliveries_sweep() == 0
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        assert services.deliveries_sweep() == 1
        # Due again from now: the next sweep leaves it alone for a minute.
        assert services.deliveries_sweep() == 0
    assert queued == [delivery.pk]


def test_a_delivery_held_by_a_live_worker_is_left_alone_and_a_dead_ones_is_not(delivery, queued):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert services.delivery_claim(delivery_id=delivery.pk) is not None
    with time_machine.travel(start + dt.timedelta(seconds=59), tick=False):
        Delivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=start - dt.timedelta(hours=1)
        )
        assert services.deliveries_sweep() == 0  # still held
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        assert services.deliveries_sweep() == 1  # the hold expired: the worker died
    assert queued == [delivery.pk]


def test_delivered_and_given_up_deliveries_are_not_swept(delivery, queued):
    Delivery.objects.filter(pk=delivery.pk).update(status=Status.DELIVERED)
    later = timezone.now() + dt.timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        assert services.deliveries_sweep() == 0
    Delivery.objects.filter(pk=delivery.pk).update(status=Status.GAVE_UP)
    with time_machine.travel(later, tick=False):
        assert services.deliveries_sweep() == 0
    assert queued == []


def test_the_sweep_runs_every_minute_on_beat(settings):
    assert settings.CELERY_BEAT_SCHEDULE["connectors-sweep"] == {
        "task": "connectors.sweep",
        "schedule": 60.0,
    }
