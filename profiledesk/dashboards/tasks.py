"""Celery interface of the dashboards: beat keeps the daily figures fresh.

`rebuild_recent` (every few minutes) rebuilds today and yesterday of every client, each
in its own time zone — yesterday too, because a client's day ends at its own midnight
and the last minutes of it are counted by the run after. `rebuild_week` (daily) rebuilds
the last week, for what was recorded late (a delivery acknowledged after a retry, a
ticket's timeline written after the fact). Both are idempotent.
"""

from celery import shared_task

from .build import figures_rebuild_recent

RECENT_DAYS = 2
WEEK_DAYS = 8  # today and the 7 days before it


@shared_task(name="dashboards.rebuild_recent", acks_late=False, ignore_result=True)
def rebuild_recent() -> int:
    return figures_rebuild_recent(days=RECENT_DAYS)


@shared_task(name="dashboards.rebuild_week", acks_late=False, ignore_result=True)
def rebuild_week() -> int:
    return figures_rebuild_recent(days=WEEK_DAYS)
