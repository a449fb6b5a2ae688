"""Celery interface of privacy: housekeeping of private storage (no ids to pass)."""

from celery import shared_task

from .orphans import files_orphans_sweep as sweep


@shared_task(name="privacy.files_orphans_sweep", acks_late=False)
def files_orphans_sweep() -> int:
    return sweep()
