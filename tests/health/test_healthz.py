"""GET /healthz (docs/design.md §9): database, Redis and a Celery round trip through a real worker.

Open to anyone (load balancers do not sign in), and it answers in a bounded time even
when a part is down. The worker is a real `celery worker` process on the Redis of
tests/with_services.sh: an in-process worker would run Celery's Django fix-up, which
closes the test's database connection.
"""

import contextlib
import os
import socket
import time

import pytest
import redis
from celery import Celery, current_app
from django.conf import settings
from django.urls import reverse

from tests.celery_worker import start_worker, stop_worker


def _redis_is_up(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


@pytest.fixture
def redis_up():
    if not _redis_is_up(settings.REDIS_URL):
        message = (
            f"Redis at {settings.REDIS_URL} is not reachable: run through tests/with_services.sh"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def celery_worker(redis_up, tmp_path):
    """A real worker process of the desk's app on the test Redis."""
    worker = start_worker(tmp_path / "worker.log", name="health", loglevel="WARNING")
    try:
        yield worker.node
    finally:
        stop_worker(worker)


@contextlib.contextmanager
def desk_celery_on(broker_url: str):
    """The desk's Celery app as configured from settings, but on another broker and
    result backend, for the duration of the block."""
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


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _healthz(client):
    started = time.monotonic()
    response = client.get(reverse("healthz"))
    return response, time.monotonic() - started


def test_healthz_answers_200_when_database_redis_and_a_worker_are_up(db, client, celery_worker):
    response, _ = _healthz(client)  # an anonymous client: no sign-in needed
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "failing": [],
        "checks": {"database": "ok", "redis": "ok", "celery": "ok"},
    }


def test_healthz_answers_503_naming_redis_when_redis_is_down(db, client, settings):
    port = _closed_port()
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    with desk_celery_on(settings.REDIS_URL):
        response, took = _healthz(client)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert "redis" in body["failing"]
    assert body["checks"]["redis"].startswith("fail")
    assert body["checks"]["celery"] == "skipped: broker unavailable"
    assert body["checks"]["database"] == "ok"
    assert took < 5
    # The answer is public: it names the failure, not where Redis lives.
    assert str(port) not in response.content.decode()


def test_healthz_answers_503_naming_celery_when_no_worker_answers(db, client, settings, redis_up):
    settings.HEALTH_CELERY_TIMEOUT = 1
    # The same Redis server, on a database no worker consumes from.
    idle_broker = settings.REDIS_URL.rsplit("/", 1)[0] + "/15"
    with desk_celery_on(idle_broker):
        response, took = _healthz(client)

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["celery"]
    assert body["checks"]["celery"].startswith("fail")
    assert body["checks"]["redis"] == "ok"
    assert took < 4


def test_healthz_is_never_cached(db, client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    response, _ = _healthz(client)
    assert "no-cache" in response["Cache-Control"]
