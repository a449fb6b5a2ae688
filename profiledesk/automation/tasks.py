"""Celery interface of straight-through processing: load by id, call the service.

Idempotent: a redelivered or duplicated task for the same pass finds its try recorded
(or the ticket no longer waiting) and does nothing. A database error is retried."""

from celery import shared_task
from django.db import DatabaseError

from .selectors import untried_passes
from .services import straight_through_try


@shared_task(
    bind=True,
    name="automation.straight_through",
    max_retries=5,
    ignore_result=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=2,
    retry_jitter=True,
)
def straight_through(self, ticket_id: int, attempt_id: int | None = None) -> str:
    outcome = straight_through_try(ticket_id=ticket_id, attempt_id=attempt_id)
    if outcome is None:
        return "skipped"
    return "applied" if outcome.applied else "held"


@shared_task(name="automation.sweep", acks_late=False)
def sweep() -> int:
    """Queue the tries whose signal was lost (beat, every minute); each is idempotent."""
    passes = untried_passes()
    for ticket_id, attempt_id in passes:
        straight_through.apply_async((ticket_id, attempt_id), retry=False)
    return len(passes)
