"""Celery interface of the API: housekeeping only (no ids to pass)."""

from celery import shared_task

from . import services


@shared_task(name="api.idempotency_purge", acks_late=False)
def idempotency_purge() -> int:
    return services.idempotency_records_purge()
