"""Celery interface of the portal: the daily purge of old sign-in rows."""

from celery import shared_task

from .services import portal_purge


@shared_task(name="portal.purge")
def portal_purge_task() -> int:
    """Idempotent: a second run finds nothing older to delete."""
    return portal_purge()
