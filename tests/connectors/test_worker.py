"""End to end with a real `celery worker` process on the Redis of tests/with_services.sh:
a delivery written in a committed transaction, its task queued twice (a redelivery),
reaches the real local receiver once, signed."""

import os
import time

import pytest
from django.db import transaction

from profiledesk.celery import app as desk_celery
from profiledesk.connectors.models import Delivery, Status
from profiledesk.connectors.services import deliveries_create
from profiledesk.connectors.signing import signature_valid
from profiledesk.connectors.tasks import deliver
from tests.factories import TicketFactory

from .helpers import EVENT, SECRET, connector_for, mark_applied
from .workers import start_worker, stop_worker, wait_for


@pytest.fixture
def worker(redis_up, receiver, tmp_path):
    log = tmp_path / "worker.log"
    # Tasks earlier tests queued on this Redis (their deliveries are gone with their
    # transactions) would run here too and blur the count of this test's own tasks.
    desk_celery.control.purge()
    process = start_worker(log)
    try:
        yield log
    finally:
        stop_worker(process)


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the worker process needs the PostgreSQL of tests/with_services.sh",
)
@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_a_committed_event_once_and_the_secret_stays_off_the_broker(
    northwind, customer, agent, receiver, worker
):
    connector_for(northwind, url=receiver.url, name="Northwind CRM")
    ticket = TicketFactory(customer=customer, created_by=agent)
    mark_applied(ticket)
    with transaction.atomic():
        [delivery] = deliveries_create(ticket=ticket, event=EVENT)
    deliver.delay(delivery.pk)  # the same task again, as after a lost acknowledgement

    wait_for(lambda: Delivery.objects.get(pk=delivery.pk).status == Status.DELIVERED)
    time.sleep(1)  # give the second task its chance to (wrongly) send again

    assert len(receiver.requests) == 1
    headers = receiver.requests[0]["headers"]
    assert signature_valid(
        secret=SECRET,
        timestamp=headers["x-profiledesk-timestamp"],
        body=receiver.requests[0]["body"],
        header=headers["x-profiledesk-signature"],
    )
    worker_log = worker.read_text()
    # Both tasks ran (the second did nothing); other suites' leftovers may run too.
    ran = [line for line in worker_log.splitlines() if "connectors.deliver[" in line]
    assert sum("succeeded" in line for line in ran) == 2, worker_log
    assert sum("'skipped'" in line for line in ran) == 1, worker_log
    assert SECRET not in worker_log
