"""Real `celery worker` processes of the desk's app on the test database and the Redis
of tests/with_services.sh."""

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


def start_worker(log_path, **env) -> subprocess.Popen:
    node = f"connectors-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    with open(log_path, "a") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [
                sys.executable,
                *("-m", "celery", "-A", "profiledesk", "worker", "--pool=solo"),
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                "--loglevel=DEBUG",
                f"--hostname={node}",
            ],
            cwd=settings.BASE_DIR,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "profiledesk.settings.test",
                "DATABASE_URL": database_url,
                "REDIS_URL": settings.REDIS_URL,
                **env,
            },
            stdout=output,
            stderr=subprocess.STDOUT,
        )
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
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("timed out")
        time.sleep(0.1)
