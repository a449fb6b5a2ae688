"""Celery interface of the dashboards: beat keeps the daily figures fresh.

`rebuild_recent` (every few minutes) rebuilds today and yesterday of every client, each
in its own time zone — yesterday too, because a client's day ends at its own midnight
and the last minutes of it are counted by the run after. `rebuild_week` (daily) rebuilds
the last week, for what was recorded late (a delivery acknowledged after a retry, a
ticket's timeline written after the fact). Both are idempotent.
"""

from celery import shared_task
from django.core.cache import cache

from .build import figures_rebuild_recent

RECENT_DAYS = 2
WEEK_DAYS = 8  # today and the 7 days before it
# A run holds its task's lock at most this long (a worker killed mid-run frees it then).
LOCK_SECONDS = 15 * 60


def _alone(name: str, days: int) -> int:
    """One run of a task at a time: beat's runs would otherwise pile up behind a slow one
    and crowd the queue. A run that finds its task busy does nothing (the next one comes)."""
    key = f"dashboards:rebuild:{name}"
    if not cache.add(key, 1, LOCK_SECONDS):
        return 0
    try:
        return figures_rebuild_recent(days=days)
    finally:
        cache.delete(key)


@shared_task(name="dashboards.rebuild_recent", acks_late=False, ignore_result=True)
def rebuild_recent() -> int:
    return _alone("recent", RECENT_DAYS)


@shared_task(name="dashboards.rebuild_week", acks_late=False, ignore_result=True)
def rebuild_week() -> int:
    return _alone("week", WEEK_DAYS)
