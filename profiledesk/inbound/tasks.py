"""Celery interface of inbound e-mail: housekeeping only (no ids to pass)."""

from celery import shared_task

from . import services


@shared_task(name="inbound.deliveries_purge", acks_late=False)
def deliveries_purge() -> int:
    return services.deliveries_purge()
