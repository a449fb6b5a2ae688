"""What a scrape reads at scrape time: the Celery queues' length in Redis, the age of
the oldest work in each outbox (messages, deliveries, exports), and the desk's counters.
Every reading is bounded: a few `LLEN`s and one `LIMIT 1` index scan per outbox and
status (each status has a partial index on its due time), whatever the backlog.
"""

import logging
from collections.abc import Iterator

import redis
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from profiledesk.connectors.models import OPEN_STATUSES as DELIVERY_OPEN
from profiledesk.connectors.models import Delivery
from profiledesk.exports.models import OPEN_STATUSES as EXPORT_OPEN
from profiledesk.exports.models import Export
from profiledesk.messaging.models import PENDING_STATUSES as MESSAGE_PENDING
from profiledesk.messaging.models import Message

from . import counters

logger = logging.getLogger(__name__)

# kombu's Redis transport keeps a queue's prioritised messages in lists beside it.
_PRIORITY_SEPARATOR = "\x06\x16"
_PRIORITY_STEPS = (3, 6, 9)

# (outbox, model, statuses, the due-time field its partial index orders by)
OUTBOXES = (
    ("message", Message, MESSAGE_PENDING, "due_at"),
    ("delivery", Delivery, DELIVERY_OPEN, "next_attempt_at"),
    ("export", Export, EXPORT_OPEN, "updated_at"),
)


def celery_queues() -> list[str]:
    return list(settings.METRICS_CELERY_QUEUES)


def _queue_lengths() -> Iterator[GaugeMetricFamily]:
    up = GaugeMetricFamily("profiledesk_celery_broker_up", "1 if the broker answered the scrape.")
    length = GaugeMetricFamily(
        "profiledesk_celery_queue_length",
        "Tasks waiting in a Celery queue (Redis LLEN, every priority).",
        labels=["queue"],
    )
    unacked = GaugeMetricFamily(
        "profiledesk_celery_unacked",
        "Tasks a worker has taken and not yet acknowledged (late acks).",
    )
    queues = celery_queues()
    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2
        )
        with client.pipeline(transaction=False) as pipe:
            for queue in queues:
                pipe.llen(queue)
                for step in _PRIORITY_STEPS:
                    pipe.llen(f"{queue}{_PRIORITY_SEPARATOR}{step}")
            pipe.hlen("unacked")
            answers = pipe.execute()
    except redis.RedisError as error:
        logger.warning("celery queues unreadable (%s)", type(error).__name__)
        up.add_metric([], 0)
        yield up
        return
    up.add_metric([], 1)
    per_queue = 1 + len(_PRIORITY_STEPS)
    for index, queue in enumerate(queues):
        length.add_metric([queue], sum(answers[index * per_queue : (index + 1) * per_queue]))
    unacked.add_metric([], answers[-1])
    yield from (up, length, unacked)


def _outbox_lag() -> Iterator[GaugeMetricFamily]:
    lag = GaugeMetricFamily(
        "profiledesk_outbox_oldest_age_seconds",
        "Seconds the oldest open item of an outbox is past its due time (a message, a "
        "delivery) or has not moved (an export); 0 when none is late.",
        labels=["outbox", "status"],
    )
    now = timezone.now()
    try:
        for outbox, model, statuses, field in OUTBOXES:
            for status in statuses:
                oldest = (
                    model.objects.filter(status=status)
                    .order_by(field)
                    .values_list(field, flat=True)
                    .first()
                )
                age = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
                lag.add_metric([outbox, str(status)], age)
    except DatabaseError as error:
        logger.warning("outbox lag unreadable (%s)", type(error).__name__)
        return
    yield lag


class DeskCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from _queue_lengths()
        yield from _outbox_lag()
        yield from counters.families()  # type: ignore[misc]
