"""Query budgets of the compliance panels: two queries a panel (the clients' time zones,
then the counts grouped by client day), however many events, days or clients (STYLE 8)."""

import datetime as dt

import pytest

from profiledesk.dashboards.compliance import COMPLIANCE_PANELS
from tests.factories import ClientFactory

from .compliance_helpers import event_at, scope_of

pytestmark = pytest.mark.django_db

ACTIONS = [
    "customer.sensitive_revealed",
    "history.value_revealed",
    "verification.details_revealed",
    "rollback.requested",
    "rollback.applied",
    "verification.waived",
    "export.requested",
    "export.downloaded",
    "confirmation.reported",
    "customer.frozen",
    "customer.unfrozen",
]


@pytest.mark.parametrize("count", [1, 30])
@pytest.mark.parametrize("panel_function", COMPLIANCE_PANELS, ids=lambda f: f.__name__)
def test_each_panel_costs_two_queries_whatever_it_counts(
    panel_function, count, northwind, solaris, personas, django_assert_num_queries
):
    clients = [northwind, solaris]
    if count > 1:
        clients += [
            ClientFactory(slug=f"zone-{zone}", time_zone=zone)
            for zone in ("Asia/Tokyo", "America/New_York", "Pacific/Honolulu")
        ]
    start = dt.datetime(2026, 12, 1, 0, 30, tzinfo=dt.UTC)
    for i in range(count):
        for client in clients:
            action = ACTIONS[i % len(ACTIONS)]
            actor = personas["compliance"] if i % 3 else personas["supervisor"]
            event_at(start + dt.timedelta(hours=7 * i), action, client=client, actor=actor)
    scope = scope_of(*clients, since=dt.date(2026, 12, 1), until=dt.date(2026, 12, 31))

    # Expect 2 queries: the clients' time zones, then the events counted by action and
    # client day (or by staff member) on the (client, action, created_at) index.
    with django_assert_num_queries(2):
        panel = panel_function(scope)
    assert panel.rows is not None


def test_a_panel_of_no_clients_asks_the_database_nothing(django_assert_num_queries):
    scope = scope_of(since=dt.date(2026, 12, 1), until=dt.date(2026, 12, 31))
    # Expect no query: no client, so no time zone to read and nothing to count.
    for panel_function in COMPLIANCE_PANELS:
        with django_assert_num_queries(0):
            panel = panel_function(scope)
        assert all(not p.value for s in panel.series for p in s.points)
