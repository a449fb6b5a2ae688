"""The desk's event counters (verification outcomes, applies, rollbacks, connector
failures), kept in Redis so that every process of every machine adds to one total.

Why Redis rather than prometheus-client's per-process files: these events happen in
web processes *and* in Celery's prefork children, on machines that serve no HTTP and
would otherwise each need an exporter of their own. A `HINCRBY` is atomic across
processes, costs one round trip after the event's commit, survives a worker killed
mid-task (what it counted is already in Redis), and any web node's scrape reads the
desk-wide totals. The price, said in docs/operations.md: every node reports the same
totals (aggregate with `max`, not `sum`), and an event during a Redis outage is not
counted (logged; the event itself never fails for it).
"""

import functools
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import transaction
from prometheus_client.core import CounterMetricFamily

logger = logging.getLogger(__name__)

KEY = "profiledesk:metrics:{name}"


@dataclass(frozen=True)
class Counter:
    help: str
    labels: tuple[str, ...]


COUNTERS = {
    "profiledesk_verification_attempts": Counter(
        "Identity verification attempts, by method, purpose and result.",
        ("method", "purpose", "result"),
    ),
    "profiledesk_applies": Counter(
        "Tickets applied (their change written to the profile), by channel and by whom.",
        ("channel", "by"),
    ),
    "profiledesk_rollbacks": Counter(
        "Tickets rolled back (their rollback ticket was applied).",
        (),
    ),
    "profiledesk_connector_failures": Counter(
        "Failed delivery attempts to downstream systems, by connector kind, outcome "
        "(retrying, gave_up) and reason (timeout, connection, http_4xx, http_5xx).",
        ("kind", "outcome", "reason"),
    ),
}


@functools.cache
def _redis() -> "redis.Redis":
    # redis-py's pool is fork-safe: a prefork child opens its own connections.
    return redis.Redis.from_url(
        settings.METRICS_REDIS_URL, socket_timeout=2, socket_connect_timeout=2
    )


def count(name: str, **labels: str) -> None:
    """Add one to the counter `name` (a key of COUNTERS) with these label values."""
    if not settings.METRICS_ENABLED:
        return
    spec = COUNTERS[name]
    field = json.dumps([str(labels[label]) for label in spec.labels])
    try:
        _redis().hincrby(KEY.format(name=name), field, 1)
    except redis.RedisError as error:
        logger.warning("metric %s not counted (%s)", name, type(error).__name__)


def count_on_commit(name: str, **labels: str) -> None:
    """Count once the caller's transaction commits (nothing if it rolls back)."""
    transaction.on_commit(lambda: count(name, **labels), robust=True)


def families() -> Iterator[CounterMetricFamily]:
    """The counters as the scrape shows them; nothing if Redis does not answer."""
    try:
        with _redis().pipeline(transaction=False) as pipe:
            for name in COUNTERS:
                pipe.hgetall(KEY.format(name=name))
            stored = pipe.execute()
    except redis.RedisError as error:
        logger.warning("metric counters unreadable (%s)", type(error).__name__)
        return
    for (name, spec), values in zip(COUNTERS.items(), stored, strict=True):
        family = CounterMetricFamily(name, spec.help, labels=spec.labels)
        for field, value in sorted(values.items()):
            label_values = json.loads(field)
            if len(label_values) == len(spec.labels):  # a renamed label's old rows: skip
                family.add_metric(label_values, int(value))
        yield family
