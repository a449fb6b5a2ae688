"""Faults (run with PROFILEDESK_FAULTS=1; they take a while): a worker killed with
SIGKILL in the middle of a batch of webhooks. After another worker takes over and the
beat sweep runs, every event has reached the receiver, and a receiver that keeps the
Idempotency-Key (docs/webhooks.md) processes each exactly once."""

import os
import signal
import time

import pytest
from django.db import transaction

from profiledesk.connectors.models import Delivery, Status
from profiledesk.connectors.services import deliveries_create, deliveries_sweep
from tests.factories import TicketFactory

from .helpers import EVENT, connector_for, mark_applied
from .workers import start_worker, stop_worker, wait_for

BATCH = 12

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("PROFILEDESK_FAULTS"), reason="fault tests: PROFILEDESK_FAULTS=1"
    ),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the worker processes need the PostgreSQL of tests/with_services.sh",
    ),
]

# A short hold and sweep delay, so that the test does not wait minutes for them.
WORKER_ENV = {"CONNECTOR_TIMEOUT": "2", "CONNECTOR_LEASE_MARGIN": "1"}


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_no_event_and_the_receiver_processes_each_once(
    northwind, customer, agent, receiver, redis_up, tmp_path, settings
):
    settings.CONNECTOR_SWEEP_AFTER = 1
    receiver.default = "slow"
    connector_for(northwind, url=receiver.url, name="Northwind CRM")
    tickets = [TicketFactory(customer=customer, created_by=agent) for _ in range(BATCH)]
    log = tmp_path / "workers.log"
    first = start_worker(log, **WORKER_ENV)
    try:
        with transaction.atomic():
            for n, ticket in enumerate(tickets):
                mark_applied(ticket)
                deliveries_create(ticket=ticket, event={**EVENT, "id": f"evt-fault-{n}"})
        wait_for(lambda: len(receiver.requests) >= 4)
        os.kill(first.pid, signal.SIGKILL)  # in the middle of the batch
        first.wait()
    finally:
        stop_worker(first)
    delivered_before = Delivery.objects.filter(status=Status.DELIVERED).count()
    assert delivered_before < BATCH

    second = start_worker(log, **WORKER_ENV)
    try:
        # Beat's sweep (every minute in production) picks up what the dead worker held
        # or had taken off the queue, once its hold has expired.
        deadline = time.monotonic() + 90
        while Delivery.objects.exclude(status=Status.DELIVERED).exists():
            assert time.monotonic() < deadline, log.read_text()[-5000:]
            deliveries_sweep()
            time.sleep(1)
    finally:
        stop_worker(second)

    keys = [r["headers"]["idempotency-key"] for r in receiver.requests]
    assert set(keys) == {d.idempotency_key for d in Delivery.objects.all()}
    assert len(set(keys)) == BATCH
    # A POST the killed worker had made but not recorded is sent again, with the same
    # key and body: the receiver drops it. Nothing else is ever sent twice.
    assert len(keys) - BATCH <= 1, keys
    bodies = {}
    for request in receiver.requests:
        key = request["headers"]["idempotency-key"]
        assert bodies.setdefault(key, request["body"]) == request["body"]
    assert Delivery.objects.filter(status=Status.DELIVERED).count() == BATCH
