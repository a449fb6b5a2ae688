"""Real `celery worker` processes of the desk's app, for tests that need a worker: on the
test database (PostgreSQL) and the Redis of tests/with_services.sh."""

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from profiledesk.celery import app as desk_celery


def _test_database_url() -> dict[str, str]:
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        return {}
    return {"DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}


def purge_broker() -> int:
    """Drop every task waiting on the broker. Tests before this one may have queued tasks
    on commit (sends, straight-through tries) that no worker ran: a worker started to
    count its own test's tasks must not run theirs."""
    return desk_celery.control.purge() or 0


def start_worker(log_path, *, name: str = "worker", loglevel: str = "INFO", **env):
    """Start a worker and wait until it answers a ping; returns the process."""
    node = f"{name}-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
    with open(log_path, "a") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [
                sys.executable,
                *("-m", "celery", "-A", "profiledesk", "worker", "--pool=solo"),
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                f"--loglevel={loglevel}",
                f"--hostname={node}",
            ],
            cwd=settings.BASE_DIR,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "profiledesk.settings.test",
                "REDIS_URL": settings.REDIS_URL,
                **_test_database_url(),
                **env,
            },
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    process.node = node
    deadline = time.monotonic() + 60
    while not desk_celery.control.ping(destination=[node], timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_worker(process)
            pytest.fail(f"the Celery worker did not start:\n{Path(log_path).read_text()}")
    return process


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for(predicate, *, timeout: float = 20) -> None:
    """Wait until `predicate()` is true (work done by a worker), or fail the test."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("timed out")
        time.sleep(0.1)
