"""The parts /healthz checks: database, Redis, and a Celery round trip through a worker."""

import logging
import secrets

import redis
from django.conf import settings
from django.db import connection

from .tasks import ping

logger = logging.getLogger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_redis() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def check_celery() -> None:
    nonce = secrets.token_hex(8)
    result = ping.apply_async(args=(nonce,), expires=settings.HEALTH_CELERY_TIMEOUT)
    try:
        answer = result.get(timeout=settings.HEALTH_CELERY_TIMEOUT)
    finally:
        result.forget()
    if answer != nonce:
        raise RuntimeError("worker answered with the wrong value")


CHECKS = {"database": check_database, "redis": check_redis, "celery": check_celery}


def run_checks() -> dict[str, str]:
    """{part: "ok" or the error}; Celery is not tried when Redis, its broker, is down."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        if name == "celery" and results.get("redis") != "ok":
            results[name] = "skipped: broker unavailable"
            continue
        try:
            check()
        except Exception as error:  # any failure is a failed check
            # The answer is public: name the kind of failure, keep hosts and paths in the log.
            logger.warning("health check %s failed: %r", name, error)
            results[name] = f"fail: {type(error).__name__}"
        else:
            results[name] = "ok"
    return results
