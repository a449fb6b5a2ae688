"""Faults (run with PROFILEDESK_FAULTS=1): Redis, the broker, stops while tickets are
applied. The applies still succeed — profile written, ticket applied, the outbox rows of
every confirmation and delivery committed — and once Redis is back, a real worker and
the beat sweeps deliver every confirmation to a real SMTP server and every event to a
real webhook receiver exactly once.

The test runs its own redis-server (not the shared one of tests/with_services.sh), so
that stopping it harms no other test, and points the desk's Celery app at it for the
test only."""

import os
import shutil
import subprocess
import time

import pytest
import redis

from profiledesk.apply.services import ticket_apply
from profiledesk.celery import app as desk_celery
from profiledesk.connectors.models import Delivery, Kind
from profiledesk.connectors.models import Status as DeliveryStatus
from profiledesk.connectors.services import deliveries_sweep
from profiledesk.customers.models import Preferences
from profiledesk.messaging.models import Message
from profiledesk.messaging.models import Status as MessageStatus
from profiledesk.messaging.services import messages_sweep
from profiledesk.tickets.models import State
from tests.apply.helpers import applicable
from tests.factories import complete_customer
from tests.messaging.conftest import free_port, smtp_server  # noqa: F401 - fixture reused

from .helpers import connector_for
from .workers import start_worker, stop_worker

TICKETS = 3


pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("PROFILEDESK_FAULTS"), reason="fault tests: PROFILEDESK_FAULTS=1"
    ),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the worker process needs the PostgreSQL of tests/with_services.sh",
    ),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed"),
]


class OwnRedis:
    """A redis-server of this test's own, on a free port of 127.0.0.1, that can be
    stopped and started again on the same port."""

    def __init__(self, workdir):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                shutil.which("redis-server") or "redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.workdir)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    client.ping()
                    return
                except redis.RedisError:
                    if time.monotonic() > deadline:
                        pytest.fail("the test's redis-server did not start")
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def _point_celery_at(url: str) -> None:
    """The desk's Celery app (in this process) publishes to, and keeps results in, `url`
    from now on: its broker connections and result backend are made again."""
    desk_celery._pool = None
    desk_celery.amqp._producer_pool = None
    desk_celery._backend_cache = None
    desk_celery._local.__dict__.pop("backend", None)
    desk_celery.conf.broker_url = url
    desk_celery.conf.result_backend = url


@pytest.fixture
def own_redis(tmp_path, settings):
    server = OwnRedis(tmp_path)
    server.start()
    before = (desk_celery.conf.broker_url, desk_celery.conf.result_backend)
    settings.REDIS_URL = server.url  # what start_worker gives the worker
    settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = server.url
    _point_celery_at(server.url)
    try:
        yield server
    finally:
        server.stop()
        _point_celery_at(before[0])
        desk_celery.conf.result_backend = before[1]


@pytest.mark.django_db(transaction=True)
def test_applies_succeed_while_redis_is_down_and_everything_is_delivered_once_it_is_back(
    northwind,
    personas,
    own_redis,
    smtp_server,  # noqa: F811 - the fixture imported above
    receiver,
    tmp_path,
    settings,
):
    settings.CONNECTOR_SWEEP_AFTER = 0
    settings.MESSAGING_SWEEP_QUEUED_AFTER = 0
    connector_for(
        northwind,
        url=receiver.url,
        name="Northwind messaging",
        kind=Kind.COMMUNICATIONS,  # its scope holds the preferences
        categories=["preferences"],
    )
    customers = [
        complete_customer(northwind, phones=0, legal_name=f"Customer {n}") for n in range(TICKETS)
    ]
    tickets = [
        applicable(customer, personas, "preferences", {"marketing_email": True})
        for customer in customers
    ]

    own_redis.stop()
    started = time.monotonic()
    for ticket in tickets:
        ticket_apply(ticket=ticket, by=personas["agent"])  # raises nothing
    applying = time.monotonic() - started

    for ticket, customer in zip(tickets, customers, strict=True):
        ticket.refresh_from_db()
        assert ticket.state == State.APPLIED
        assert Preferences.objects.get(customer=customer).marketing_email is True
    messages = Message.objects.filter(ticket__in=tickets)
    deliveries = Delivery.objects.filter(ticket__in=tickets)
    assert messages.count() == deliveries.count() == TICKETS
    assert set(messages.values_list("channel", flat=True)) == {"email"}
    assert set(messages.values_list("status", flat=True)) == {MessageStatus.QUEUED}
    assert set(deliveries.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    # Each publish gives up after the broker's connect retries (~6 s a task today).
    print(f"{TICKETS} applies with Redis down took {applying:.1f} s")  # noqa: T201

    own_redis.start()
    _point_celery_at(own_redis.url)
    log = tmp_path / "worker.log"
    worker = start_worker(
        log,
        # The base settings, so that the worker sends e-mail by SMTP (the test settings
        # keep it in memory), to this test's SMTP server and webhook receiver.
        DJANGO_SETTINGS_MODULE="profiledesk.settings.base",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(settings.EMAIL_PORT),
        EMAIL_USE_TLS="0",
        CONNECTOR_ALLOW_HTTP="1",
        CONNECTOR_TIMEOUT="2",
        CONNECTOR_SWEEP_AFTER="0",
    )
    try:
        # Beat's sweeps (every minute in production) queue what was never published.
        assert messages_sweep() == TICKETS
        assert deliveries_sweep() == TICKETS
        deadline = time.monotonic() + 30
        while (
            messages.exclude(status=MessageStatus.SENT).exists()
            or deliveries.exclude(status=DeliveryStatus.DELIVERED).exists()
        ):
            assert time.monotonic() < deadline, log.read_text()[-5000:]
            time.sleep(0.2)
        time.sleep(1)  # give a duplicate its chance to arrive
    finally:
        stop_worker(worker)

    recipients = sorted(r for m in smtp_server.messages for r in m["to"])
    assert recipients == sorted(messages.values_list("recipient", flat=True))
    keys = sorted(r["headers"]["idempotency-key"] for r in receiver.requests)
    assert keys == sorted(deliveries.values_list("idempotency_key", flat=True))
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.state == State.CLOSED
