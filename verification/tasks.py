"""Celery interface of verification: the beat sweep that deletes old identity documents."""

from celery import shared_task

from .services import documents_purge


@shared_task(name="verification.documents_purge")
def documents_purge_task() -> int:
    """Idempotent: a document whose file is gone is not looked at again."""
    return documents_purge()
