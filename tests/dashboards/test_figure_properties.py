"""Properties of the daily figures over varied moments and zones (hypothesis): every
ticket counts once, on its local date in the client's zone, whatever the zone or the
daylight-saving change; and a range rebuilt in one pass or day by day gives the same rows."""

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from profiledesk.dashboards.build import figures_rebuild, figures_rebuild_days
from profiledesk.dashboards.models import DailyFigure, Metric
from profiledesk.tickets.models import State
from tests.dashboards.figure_rows import move, ticket
from tests.factories import ClientFactory

# Four days around the United States' change to summer time (8 March 2026).
START = dt.datetime(2026, 3, 6, tzinfo=dt.UTC)
FIRST, LAST = dt.date(2026, 3, 5), dt.date(2026, 3, 12)
ZONES = ["Asia/Tokyo", "America/New_York", "Europe/London", "Pacific/Chatham", "Asia/Kolkata"]

moments = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=4 * 24 * 60 - 1),  # opened, minutes after START
        st.one_of(st.none(), st.integers(min_value=0, max_value=36 * 60)),  # applied after
    ),
    min_size=1,
    max_size=12,
)


@pytest.fixture
def client_(db):
    return ClientFactory(slug="anywhere", name="Anywhere")


def _rows(client):
    return sorted(
        DailyFigure.objects.filter(client=client).values_list(
            "day", "metric", "key1", "key2", "key3", "count", "durations"
        )
    )


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(zone=st.sampled_from(ZONES), events=moments)
def test_each_ticket_counts_once_on_its_local_date_however_the_range_is_rebuilt(
    client_, zone, events
):
    with transaction.atomic():
        client_.time_zone = zone
        client_.save(update_fields=["time_zone"])
        local = ZoneInfo(zone)
        opened, applied = Counter(), Counter()
        for opened_after, applied_after in events:
            created = START + dt.timedelta(minutes=opened_after)
            row = ticket(client_, created=created)
            opened[created.astimezone(local).date()] += 1
            if applied_after is not None:
                done = created + dt.timedelta(minutes=applied_after)
                move(row, State.APPLIED, done)
                applied[(done.astimezone(local).date(), applied_after * 60)] += 1

        figures_rebuild_days(client=client_, since=FIRST, until=LAST, now=START)
        in_one_pass = _rows(client_)
        counted = Counter()
        for day, metric, _k1, _k2, _k3, count, _durations in in_one_pass:
            if metric == Metric.OPENED:
                counted[day] += count
        assert counted == opened
        timed = Counter(
            (day, seconds)
            for day, metric, *_keys, _count, durations in in_one_pass
            if metric == Metric.FINISHED
            for seconds in durations
        )
        assert timed == applied

        DailyFigure.objects.filter(client=client_).delete()
        day = FIRST
        while day <= LAST:
            figures_rebuild(client=client_, day=day, now=START)
            day += dt.timedelta(days=1)
        assert _rows(client_) == in_one_pass
        transaction.set_rollback(True)
