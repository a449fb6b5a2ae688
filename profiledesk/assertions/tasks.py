"""Celery interface of assertions: housekeeping only (no ids to pass)."""

from celery import shared_task

from . import services


@shared_task(name="assertions.used_purge", acks_late=False)
def used_purge() -> int:
    return services.used_assertions_purge()
