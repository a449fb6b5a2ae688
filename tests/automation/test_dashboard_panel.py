"""The supervisor dashboard's straight-through rate: of the tickets applied each day, the
share the desk applied by itself — built from the automatic applies, read from the daily
figures only (one query), and scoped to the viewer's clients."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from profiledesk.automation.services import straight_through_try
from profiledesk.dashboards.build import figures_rebuild
from profiledesk.dashboards.figures.straight_through import straight_through_by_day
from profiledesk.dashboards.models import DailyFigure, Metric
from profiledesk.dashboards.panels import Scope

from .conftest import api_request, evidence, switch_on

pytestmark = pytest.mark.django_db


def _scope(*clients, since, until) -> Scope:
    return Scope(
        client_ids=tuple(c.pk for c in clients),
        since=since,
        until=until,
        zone=ZoneInfo("Europe/London"),
    )


def _put(client, day, metric, key1="", count=1):
    DailyFigure.objects.create(
        client=client, day=day, metric=metric, key1=key1, count=count, built_at=timezone.now()
    )


def test_the_rate_is_automatic_applies_over_all_applies_per_day(
    northwind, solaris, django_assert_num_queries
):
    d1, d2 = dt.date(2026, 1, 15), dt.date(2026, 1, 16)
    _put(northwind, d1, Metric.FINISHED, "applied", count=4)
    _put(northwind, d1, Metric.FINISHED, "rejected", count=3)  # not an apply
    _put(northwind, d1, Metric.STRAIGHT_THROUGH, "preferences", count=1)
    _put(northwind, d2, Metric.FINISHED, "applied", count=2)
    _put(solaris, d2, Metric.STRAIGHT_THROUGH, "preferences", count=9)  # not in scope
    # Expect 1 query: the scope's daily figures of the two metrics.
    with django_assert_num_queries(1):
        panel = straight_through_by_day(_scope(northwind, since=d1, until=d2))
    assert panel.rows == (("2026-01-15", 4, 1, 25.0), ("2026-01-16", 2, 0, 0.0))
    assert [p.value for p in panel.series[0].points] == [25.0, 0.0]
    assert panel.note.startswith("1 of 6 tickets applied in the range were applied automatically")


def test_a_range_without_applies_is_an_empty_panel(northwind):
    panel = straight_through_by_day(
        _scope(northwind, since=dt.date(2026, 1, 1), until=dt.date(2026, 1, 2))
    )
    assert panel.rows == () and panel.series == ()


def test_the_daily_build_counts_an_automatic_apply(api, customer, northwind):
    switch_on(northwind)
    ticket = api_request(api, customer)
    assert straight_through_try(ticket_id=ticket.pk, attempt_id=evidence(ticket).pk).applied
    today = timezone.localtime(timezone.now(), ZoneInfo(northwind.time_zone)).date()
    figures_rebuild(client=northwind, day=today)
    panel = straight_through_by_day(_scope(northwind, since=today, until=today))
    assert panel.rows == ((today.isoformat(), 1, 1, 100.0),)
