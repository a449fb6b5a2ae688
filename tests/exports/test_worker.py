"""End to end with a real `celery worker` process on the Redis of tests/with_services.sh:
an export requested in a committed transaction is built by the worker, once."""

import hashlib
import os
import re
import time

import pytest
import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from profiledesk.exports.models import Export, Format, Kind, Status
from profiledesk.exports.services import export_request
from profiledesk.exports.tasks import build
from tests.celery_worker import purge_broker, start_worker, stop_worker, wait_for


@pytest.fixture
def redis_up():
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"Redis at {settings.REDIS_URL} is not reachable: run tests/with_services.sh")
    finally:
        client.close()


@pytest.fixture
def exports_worker(redis_up, tmp_path):
    """A worker of the desk's app on the test database, writing files where this test's
    storage reads them (conftest.private_media), two rows a batch."""
    log = tmp_path / "worker.log"
    purge_broker()  # other tests' queued tasks are not this worker's to count
    worker = start_worker(
        log,
        name="exports",
        PRIVATE_MEDIA_ROOT=str(tmp_path / "private"),
        EXPORT_BATCH_SIZE="2",
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
def test_a_worker_builds_a_committed_export_once(personas, northwind, exports_worker):
    for n in range(5):
        audit_record(action=f"test.event{n}", client=northwind)
    with transaction.atomic():
        export = export_request(
            by=personas["compliance"],
            kind=Kind.AUDIT_EVENTS,
            fmt=Format.CSV,
            client=northwind,
            since=timezone.now() - timezone.timedelta(hours=1),
            until=timezone.now() + timezone.timedelta(hours=1),
        )
    # Delivered again (a redelivery after a lost ack) must not build a second file.
    build.delay(export.pk)

    wait_for(lambda: Export.objects.get(pk=export.pk).status == Status.DONE)
    time.sleep(1)  # give the second task its chance to (wrongly) build again

    export.refresh_from_db()
    with export.file.open("rb") as handle:
        data = handle.read()
    assert export.sha256 == hashlib.sha256(data).hexdigest()
    # The five events and the request's own audit event.
    assert export.done == export.total == 6
    assert data.decode().count("\n") == 7  # header + six rows
    worker_log = exports_worker.read_text()
    # Count this export's tasks only: the broker may still hold other tests' tasks.
    builds = re.findall(r"Task exports\.build\[[^\]]+\] succeeded in [^:]*: '(\w+)'", worker_log)
    assert sorted(builds) == ["done", "skipped"], worker_log
    directory = os.path.dirname(export.file.path)
    assert [f for f in os.listdir(directory) if f.endswith(f"-{export.pk}.csv")] == [
        os.path.basename(export.file.name)
    ]
