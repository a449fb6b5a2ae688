"""Celery interface of connectors: tasks load by id and call the services.

`deliver` is safe to run twice or be redelivered (acks_late): it holds the row with a
conditional UPDATE and does nothing if the delivery is done, not due, or held by
another worker.
"""

import logging
import time

import requests
from celery import shared_task

from . import services, signals, thin
from .models import Delivery
from .signing import signature

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="connectors.deliver", max_retries=None, ignore_result=True)
def deliver(self, delivery_id: int) -> str:
    outgoing = services.delivery_claim(delivery_id=delivery_id)
    if outgoing is None:
        return "skipped"
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "ProfileDesk-Webhooks/1",
        "X-ProfileDesk-Event-Id": outgoing.event_id,
        "Idempotency-Key": outgoing.idempotency_key,
        "X-ProfileDesk-Timestamp": str(timestamp),
        "X-ProfileDesk-Signature": signature(
            secret=outgoing.secret, timestamp=timestamp, body=outgoing.body
        ),
    }
    status_code: int | None = None
    try:
        response = requests.post(
            outgoing.url,
            data=outgoing.body,
            headers=headers,
            timeout=services.timeout(),
            allow_redirects=False,
        )
        status_code = response.status_code
        response.close()
    except requests.Timeout:
        error, reason = "timed out", "timeout"
    except requests.RequestException as exc:
        error, reason = f"connection failed ({type(exc).__name__})", "connection"
    else:
        if 200 <= status_code < 300:
            if services.delivery_mark_delivered(delivery_id=delivery_id, status_code=status_code):
                # Whoever listens (closing the ticket) hears it; a listener that fails is
                # logged by send_robust, and the delivery stands.
                signals.delivery_acknowledged.send_robust(sender=Delivery, delivery_id=delivery_id)
            return "delivered"
        error, reason = f"HTTP {status_code}", f"http_{status_code // 100}xx"
    delay = services.delivery_failed(delivery_id=delivery_id, status_code=status_code, error=error)
    signals.delivery_failed.send_robust(
        sender=Delivery, delivery_id=delivery_id, reason=reason, gave_up=delay is None
    )
    if delay is None:
        return "gave_up"
    logger.info("delivery %s not acknowledged (%s); retrying in %ss", delivery_id, error, delay)
    raise self.retry(countdown=delay)


@shared_task(name="connectors.sweep", acks_late=False)
def sweep_deliveries() -> int:
    return services.deliveries_sweep()


@shared_task(name="connectors.thin_purge", acks_late=False)
def purge_thin_payloads() -> int:
    return thin.thin_payloads_purge()
