"""A Celery worker with two prefork children: the connector failures both children meet
are counted once each, in one desk-wide total that a scrape of the web reads."""

import os
import re
import socket
import subprocess
import sys
import uuid

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client

from profiledesk.celery import app as desk_celery
from profiledesk.connectors.models import Delivery, Status
from profiledesk.connectors.services import deliveries_create
from profiledesk.observability import counters
from tests.celery_worker import stop_worker, wait_for
from tests.connectors.helpers import EVENT, connector_for, mark_applied
from tests.factories import TicketFactory, complete_customer

DELIVERIES = 12
TOKEN = "prefork-scrape-token-0123456789abcdef"

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the worker process needs the PostgreSQL of tests/with_services.sh",
)


@pytest.fixture
def metrics_url(settings, redis_up):
    url = settings.REDIS_URL.rsplit("/", 1)[0] + "/5"
    client = redis.Redis.from_url(url)
    keys = [counters.KEY.format(name=name) for name in counters.COUNTERS]
    client.delete(*keys)
    settings.METRICS_ENABLED, settings.METRICS_REDIS_URL, settings.METRICS_TOKEN = (
        True,
        url,
        TOKEN,
    )
    counters._redis.cache_clear()
    yield url
    client.delete(*keys)
    client.close()
    counters._redis.cache_clear()


def _prefork_worker(log_path, **env):
    db = connection.settings_dict
    node = f"prefork-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
    with open(log_path, "a") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [
                sys.executable,
                *("-m", "celery", "-A", "profiledesk", "worker"),
                *("--pool=prefork", "--concurrency=2"),
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                "--loglevel=INFO",
                f"--hostname={node}",
            ],
            cwd=settings.BASE_DIR,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "profiledesk.settings.test",
                "REDIS_URL": settings.REDIS_URL,
                "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
                **env,
            },
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    wait_for(lambda: desk_celery.control.ping(destination=[node], timeout=0.5), timeout=60)
    return process


@pytest.mark.django_db(transaction=True)
def test_two_prefork_children_add_their_connector_failures_to_one_total(
    northwind, agent, receiver, metrics_url, tmp_path
):
    receiver.default = 500  # the CRM is down
    connector_for(northwind, url=receiver.url, name="Northwind CRM")
    desk_celery.control.purge()
    for n in range(DELIVERIES):  # one customer each: no event waits for another's
        ticket = TicketFactory(customer=complete_customer(northwind), created_by=agent)
        mark_applied(ticket)
        deliveries_create(ticket=ticket, event={**EVENT, "id": f"evt-prefork-{n}"})
    log = tmp_path / "worker.log"
    # Started once every task waits in Redis, so that both children take some.
    worker = _prefork_worker(
        log,
        METRICS_ENABLED="1",
        METRICS_REDIS_URL=metrics_url,
        CONNECTOR_MAX_ATTEMPTS="1",
        CONNECTOR_ALLOW_HTTP="1",
    )
    try:
        wait_for(
            lambda: Delivery.objects.filter(status=Status.GAVE_UP).count() == DELIVERIES,
            timeout=90,
        )
    finally:
        stop_worker(worker)
    children = set(re.findall(r"ForkPoolWorker-\d+", log.read_text()))
    assert len(children) == 2, log.read_text()  # both children failed some deliveries

    scrape = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    line = (
        'profiledesk_connector_failures_total{kind="crm",outcome="gave_up",reason="http_5xx"} '
        f"{float(DELIVERIES)}"
    )
    assert line in scrape
