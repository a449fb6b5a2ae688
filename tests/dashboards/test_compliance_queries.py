"""Query budgets of the compliance panels: two queries a panel (the clients' time zones,
then the counts grouped by client day), however many events, days or clients (STYLE 8)."""

import datetime as dt

import pytest
from django.db import connection

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


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan of PostgreSQL")
def test_on_postgresql_the_counts_read_the_client_action_time_index(northwind, solaris):
    from audit.models import AuditEvent
    from profiledesk.dashboards.compliance import _zones, daily_counts_query

    # A log shaped like the desk's: mostly other clients, other actions, other months.
    busy = ClientFactory(slug="busy", time_zone="UTC")
    old = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            created_at=old + dt.timedelta(minutes=i),
            action=("customer.frozen", "ticket.applied", "staff.sign_in.verified")[i % 3],
            client=(busy, northwind, solaris)[i % 3 if i % 7 else 0],
            prev_hash="0" * 64,
            hash=f"{i:064x}",
        )
        for i in range(6000)
    )
    for client in (northwind, solaris):
        event_at(dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC), "customer.frozen", client=client)
    scope = scope_of(northwind, solaris, since=dt.date(2026, 12, 1), until=dt.date(2026, 12, 31))
    query = daily_counts_query(_zones(scope), scope, ["customer.frozen", "rollback.applied"])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_auditevent")
        plan = query.explain()

    assert "audit_client_action_at" in plan, plan
    assert "Seq Scan" not in plan, plan
