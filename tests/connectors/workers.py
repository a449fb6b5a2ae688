"""Real `celery worker` processes for the connectors tests (see tests/celery_worker.py)."""

from tests.celery_worker import start_worker as _start_worker
from tests.celery_worker import stop_worker, wait_for

__all__ = ["start_worker", "stop_worker", "wait_for"]


def start_worker(log_path, **env):
    return _start_worker(log_path, name="connectors", loglevel="DEBUG", **env)
