"""The history panels over hand-made daily figures: their series, tables (the CSV), notes
and links; the scope's clients and days only; empty but valid without figures; a couple
of queries on the daily table and never one on the tickets."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from profiledesk.dashboards.figures import HISTORY_PANELS
from profiledesk.dashboards.figures.approvals import approval_decisions_by_day, approval_lead_time
from profiledesk.dashboards.figures.downstream import (
    confirmations_by_channel,
    deliveries_by_connector,
)
from profiledesk.dashboards.figures.risk import (
    security_escalations,
    tickets_by_risk,
    top_risk_reasons,
)
from profiledesk.dashboards.figures.sla import sla_by_day, sla_by_dimension
from profiledesk.dashboards.figures.throughput import throughput_by_day, time_to_done
from profiledesk.dashboards.figures.verification import lockouts_by_day, verification_by_method
from profiledesk.dashboards.models import DailyFigure, Metric
from profiledesk.dashboards.panels import Panel, Scope
from tests.factories import ClientFactory

D1, D2, D3 = dt.date(2026, 1, 15), dt.date(2026, 1, 16), dt.date(2026, 1, 17)
QUEUE = reverse("tickets:queue")


@pytest.fixture
def acme(db):
    return ClientFactory(slug="acme", name="Acme", time_zone="America/New_York")


@pytest.fixture
def other(db):
    return ClientFactory(slug="other", name="Other Co", time_zone="Asia/Tokyo")


def put(client, day, metric, key1="", key2="", key3="", count=1, durations=()):
    DailyFigure.objects.create(
        client=client,
        day=day,
        metric=metric,
        key1=key1,
        key2=key2,
        key3=key3,
        count=count,
        durations=sorted(durations),
        built_at=timezone.now(),
    )


def scope(*clients, since=D1, until=D2) -> Scope:
    return Scope(
        client_ids=tuple(c.pk for c in clients),
        since=since,
        until=until,
        zone=ZoneInfo("America/New_York"),
    )


def series(panel: Panel) -> dict[str, list]:
    return {s.name: [p.value for p in s.points] for s in panel.series}


# --- SLA ----------------------------------------------------------------------------


def test_sla_by_day_counts_met_breached_and_open_per_day_with_every_day_of_the_range(acme, other):
    put(acme, D1, Metric.SLA, "phone", "contact", "met", count=3)
    put(acme, D1, Metric.SLA, "chat", "billing", "breached", count=1)
    put(acme, D2, Metric.SLA, "phone", "contact", "open", count=2)
    put(other, D1, Metric.SLA, "phone", "contact", "breached", count=50)  # not in scope
    put(acme, D3, Metric.SLA, "phone", "contact", "breached", count=50)  # after the range
    panel = sla_by_day(scope(acme))
    assert series(panel) == {
        "Met": [3, 0],
        "Breached": [1, 0],
        "Still open, not past due": [0, 2],
    }
    assert panel.rows == (("2026-01-15", 3, 1, 0, 75.0), ("2026-01-16", 0, 0, 2, None))
    assert len(panel.columns) == len(panel.rows[0])
    assert "3 of 4" in panel.note
    assert panel.links == (("Open tickets past due now", f"{QUEUE}?client={acme.pk}&sla=breached"),)


def test_sla_by_dimension_tables_client_channel_and_category_and_links_breaches(acme, other):
    put(acme, D1, Metric.SLA, "phone", "contact", "met", count=3)
    put(acme, D2, Metric.SLA, "phone", "contact", "breached", count=1)
    put(acme, D1, Metric.SLA, "chat", "billing", "breached", count=2)
    put(other, D1, Metric.SLA, "phone", "contact", "met", count=4)
    panel = sla_by_dimension(scope(acme, other))
    assert panel.rows == (
        ("Acme", "Chat", "Billing", 0, 2, 0, 0.0),
        ("Acme", "Phone", "Contact details", 3, 1, 0, 75.0),
        ("Other Co", "Phone", "Contact details", 4, 0, 0, 100.0),
    )
    # One client: the table does not name it (and its name is not read).
    alone = sla_by_dimension(scope(acme))
    assert alone.columns[0] == "Channel"
    assert alone.rows[0] == ("Chat", "Billing", 0, 2, 0, 0.0)
    breached = next(s for s in panel.series if s.name == "Breached")
    assert [(p.label, p.value, p.href) for p in breached.points] == [
        ("Phone", 1, f"{QUEUE}?channel=phone&sla=breached"),
        ("Chat", 2, f"{QUEUE}?channel=chat&sla=breached"),
    ]


# --- throughput ---------------------------------------------------------------------


def test_throughput_counts_per_day_and_links_opened_to_that_days_tickets(acme):
    put(acme, D1, Metric.OPENED, "phone", "contact", count=4)
    put(acme, D1, Metric.OPENED, "email", "billing", count=1)
    put(acme, D2, Metric.FINISHED, "applied", "phone", "contact", count=2, durations=[60, 120])
    put(acme, D2, Metric.FINISHED, "rejected", "phone", "contact")
    put(acme, D2, Metric.FINISHED, "closed", "phone", "contact")
    panel = throughput_by_day(scope(acme))
    assert series(panel) == {
        "Opened": [5, 0],
        "Applied": [0, 2],
        "Rejected": [0, 1],
        "Cancelled": [0, 0],
    }
    assert panel.rows == (("2026-01-15", 5, 0, 0, 0, 0, 0), ("2026-01-16", 0, 2, 1, 0, 1, 0))
    opened = panel.series[0].points[0]
    assert opened.href == (
        f"{QUEUE}?client={acme.pk}&opened_since=2026-01-15&opened_until=2026-01-15"
    )
    assert all(p.href == "" for s in panel.series[1:] for p in s.points)


def test_time_to_done_is_exact_over_the_range_not_a_median_of_medians(acme):
    put(acme, D1, Metric.FINISHED, "applied", "phone", "contact", count=2, durations=[60, 120])
    put(
        acme, D2, Metric.FINISHED, "applied", "chat", "contact", count=3, durations=[180, 240, 6000]
    )
    put(acme, D2, Metric.FINISHED, "closed", "chat", "contact", count=1, durations=[600])
    panel = time_to_done(scope(acme))
    assert series(panel)["Median to applied"] == [1.5, 4.0]
    assert series(panel)["p90 to applied"] == [2.0, 100.0]
    assert series(panel)["Median to closed"] == [None, 10.0]
    # Whole range: [60, 120, 180, 240, 6000] -> median 180 s, p90 (nearest rank) 6000 s.
    assert panel.rows[-1] == ("Whole range", 5, 3.0, 100.0, 1, 10.0, 10.0)
    assert "median 3 min and p90 1 h 40 min" in panel.note


# --- verification -------------------------------------------------------------------


def test_verification_by_method_rates_each_method_in_the_wizards_order(acme):
    put(acme, D1, Metric.VERIFICATION, "questions", "failed", "identity", count=1)
    put(acme, D1, Metric.VERIFICATION, "questions", "passed", "identity", count=3)
    put(acme, D2, Metric.VERIFICATION, "otp_sms", "failed", "identity", count=2)
    put(acme, D2, Metric.VERIFICATION, "otp_sms", "passed", "new_contact", count=2)
    put(acme, D2, Metric.VERIFICATION, "otp_email", "passed", "identity", count=5)
    put(acme, D2, Metric.VERIFICATION, "document", "failed", "identity", count=1)
    panel = verification_by_method(scope(acme))
    assert panel.rows[:4] == (
        ("Code by e-mail", 5, 0, 5, 0.0),
        ("Code by SMS", 2, 2, 4, 50.0),
        ("Security questions", 3, 1, 4, 25.0),
        ("Identity document", 0, 1, 1, 100.0),
    )
    # Every other registered method follows (the identity provider, the app's sign-in),
    # with nothing recorded.
    assert {row[0] for row in panel.rows[4:]} >= {"App sign-in"}
    assert all(row[1:4] == (0, 0, 0) for row in panel.rows[4:])
    assert "4 of 14 attempts failed" in panel.note


def test_lockouts_per_day(acme):
    put(acme, D2, Metric.LOCKOUT, count=2)
    panel = lockouts_by_day(scope(acme))
    assert panel.rows == (("2026-01-15", 0), ("2026-01-16", 2))


# --- approvals ----------------------------------------------------------------------


def test_approval_lead_time_and_rejection_rate_per_tier(acme):
    put(acme, D1, Metric.APPROVAL, "1", "approved", count=3, durations=[600, 1200, 1800])
    put(acme, D2, Metric.APPROVAL, "1", "rejected", count=1, durations=[3600])
    put(acme, D2, Metric.APPROVAL, "2", "approved", count=1, durations=[7200])
    panel = approval_lead_time(scope(acme))
    assert panel.rows == (
        ("Tier 1 (supervisor)", 3, 1, 25.0, 25.0, 60.0),
        ("Tier 2 (compliance)", 1, 0, 0.0, 120.0, 120.0),
    )
    assert series(panel) == {"Median": [25.0, 120.0], "p90": [60.0, 120.0]}


def test_approval_decisions_per_day(acme):
    put(acme, D1, Metric.APPROVAL, "1", "approved", count=3)
    put(acme, D1, Metric.APPROVAL, "2", "rejected", count=1)
    panel = approval_decisions_by_day(scope(acme))
    assert panel.rows == (("2026-01-15", 3, 1, 25.0), ("2026-01-16", 0, 0, None))


# --- risk ---------------------------------------------------------------------------


def test_tickets_by_risk_link_each_level_to_the_queue_of_the_range(acme):
    put(acme, D1, Metric.RISK_LEVEL, "critical", count=1)
    put(acme, D2, Metric.RISK_LEVEL, "low", count=3)
    panel = tickets_by_risk(scope(acme))
    assert panel.rows == (("Low", 3), ("Critical", 1))
    assert panel.note.endswith("at their risk level now: Low 75.0 %, Critical 25.0 %.")
    assert panel.series[0].points[1].href == (
        f"{QUEUE}?client={acme.pk}&risk=critical&opened_since=2026-01-15&opened_until=2026-01-16"
    )


def test_top_risk_reasons_most_frequent_first_charted_to_ten(acme):
    put(acme, D1, Metric.RISK_LEVEL, "high", count=10)
    put(acme, D1, Metric.RISK_REASON, "takeover_sequence", count=4)
    put(acme, D2, Metric.RISK_REASON, "takeover_sequence", count=1)
    put(acme, D1, Metric.RISK_REASON, "outside_business_hours", count=2)
    for n in range(10):
        put(acme, D1, Metric.RISK_REASON, f"rule_{n:02d}", count=1)
    panel = top_risk_reasons(scope(acme))
    assert panel.rows[:2] == (
        ("Account-takeover sequence", 5, 50.0),
        ("Outside business hours", 2, 20.0),
    )
    assert len(panel.rows) == 12 and len(panel.series[0].points) == 10


def test_security_escalations_and_decisions_per_day(acme):
    put(acme, D1, Metric.ESCALATED, count=3)
    put(acme, D1, Metric.ESCALATION_OUTCOME, "verifying", durations=[7200])
    put(acme, D2, Metric.ESCALATION_OUTCOME, "rejected", count=2, durations=[600, 1800])
    panel = security_escalations(scope(acme))
    assert panel.rows == (
        ("2026-01-15", 3, 1, 0, 0, 120.0),
        ("2026-01-16", 0, 0, 2, 0, 20.0),
    )
    assert panel.links == (("Escalated tickets now", f"{QUEUE}?client={acme.pk}&state=escalated"),)
    assert "median of 30 min" in panel.note
    put(acme, D3, Metric.ESCALATED, count=1)
    waiting = security_escalations(scope(acme, since=D3, until=D3))
    assert waiting.note == "1 escalated in the range; no decision by security yet."


# --- downstream and messages --------------------------------------------------------


def test_deliveries_per_connector_name_the_client_when_there_are_several(acme, other):
    put(acme, D1, Metric.DELIVERY, "CRM", "delivered", count=3, durations=[5, 10, 100])
    put(acme, D1, Metric.DELIVERY, "CRM", "gave_up", count=1)
    put(other, D1, Metric.DELIVERY, "CRM", "failing", count=1)
    panel = deliveries_by_connector(scope(acme, other))
    assert panel.rows == (
        ("Acme", "CRM", 3, 0, 1, 0, 75.0, 10.0, 100.0),
        ("Other Co", "CRM", 0, 1, 0, 0, 0.0, None, None),
    )
    assert [p.label for p in panel.series[0].points] == ["CRM (Acme)", "CRM (Other Co)"]
    alone = deliveries_by_connector(scope(acme))
    assert [p.label for p in alone.series[0].points] == ["CRM"]
    assert alone.rows == (("CRM", 3, 0, 1, 0, 75.0, 10.0, 100.0),)


def test_confirmations_by_channel_and_outcome(acme):
    put(acme, D1, Metric.CONFIRMATION, "email", "sent", count=8)
    put(acme, D1, Metric.CONFIRMATION, "email", "gave_up", count=1)
    put(acme, D1, Metric.CONFIRMATION, "email", "failed", count=1)
    put(acme, D2, Metric.CONFIRMATION, "app", "sent", count=2)
    put(acme, D2, Metric.CONFIRMATION, "sms", "retrying", count=1)
    panel = confirmations_by_channel(scope(acme))
    assert panel.rows == (
        ("E-mail", 8, 0, 0, 1, 1, 80.0),
        ("SMS", 0, 0, 1, 0, 0, 0.0),
        ("App", 2, 0, 0, 0, 0, 100.0),
    )


# --- every panel --------------------------------------------------------------------


# Keys as the builder writes them, for every metric.
KEYS = {
    Metric.SLA: ("phone", "contact", "breached"),
    Metric.OPENED: ("phone", "contact", ""),
    Metric.FINISHED: ("applied", "phone", "contact"),
    Metric.VERIFICATION: ("otp_sms", "failed", "identity"),
    Metric.LOCKOUT: ("", "", ""),
    Metric.APPROVAL: ("1", "approved", ""),
    Metric.RISK_LEVEL: ("high", "", ""),
    Metric.RISK_REASON: ("takeover_sequence", "", ""),
    Metric.ESCALATED: ("", "", ""),
    Metric.ESCALATION_OUTCOME: ("rejected", "", ""),
    Metric.DELIVERY: ("CRM", "delivered", ""),
    Metric.CONFIRMATION: ("email", "sent", ""),
    Metric.STRAIGHT_THROUGH: ("preferences", "", ""),
}


def _every_metric(client, day):
    assert set(KEYS) == set(Metric.values)
    for metric, keys in KEYS.items():
        put(client, day, metric, *keys, count=2, durations=[60, 120])


@pytest.mark.parametrize("panel_function", HISTORY_PANELS, ids=lambda f: f.__name__)
def test_every_panel_is_empty_but_valid_without_figures(panel_function, acme, other):
    _every_metric(other, D1)  # another client's
    _every_metric(acme, D3)  # outside the range
    panel = panel_function(scope(acme))
    assert isinstance(panel, Panel) and panel.rows == () and panel.series == ()
    assert panel.key and panel.title and panel.columns


@pytest.mark.parametrize("panel_function", HISTORY_PANELS, ids=lambda f: f.__name__)
def test_every_panel_reads_the_daily_table_in_two_queries_at_most_never_the_tickets(
    panel_function, acme, other, django_assert_max_num_queries
):
    for day in (D1, D2):
        _every_metric(acme, day)
        _every_metric(other, day)
    # Expect at most 2 queries: the figures of the panel's metrics, and the clients' names
    # (for the tables that name them). The number of rows or days does not change it.
    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(2):
        panel = panel_function(scope(acme, other))
    assert panel.rows and all(len(row) == len(panel.columns) for row in panel.rows)
    for query in queries.captured_queries:
        assert "dashboards_dailyfigure" in query["sql"] or "clients_client" in query["sql"]
        assert "tickets_ticket" not in query["sql"]


@pytest.mark.parametrize("panel_function", HISTORY_PANELS, ids=lambda f: f.__name__)
def test_a_scope_without_clients_reads_nothing(panel_function, acme, django_assert_num_queries):
    _every_metric(acme, D1)
    with django_assert_num_queries(0):
        panel = panel_function(scope())
    assert panel.rows == ()


@pytest.mark.parametrize("panel_function", HISTORY_PANELS, ids=lambda f: f.__name__)
def test_every_link_opens_the_queue_of_the_scopes_client_only(panel_function, acme, other):
    _every_metric(acme, D1)
    _every_metric(other, D1)
    panel = panel_function(scope(acme))
    hrefs = [p.href for s in panel.series for p in s.points if p.href]
    hrefs += [href for _label, href in panel.links]
    for href in hrefs:
        assert href.startswith(f"{QUEUE}?client={acme.pk}&")


def test_a_range_longer_than_92_days_is_charted_by_the_week(acme):
    put(acme, dt.date(2026, 1, 8), Metric.OPENED, "phone", "contact", count=1)  # Thursday
    put(acme, dt.date(2026, 1, 12), Metric.OPENED, "phone", "contact", count=2)  # Monday
    put(acme, dt.date(2026, 1, 18), Metric.OPENED, "phone", "contact", count=3)  # Sunday
    put(acme, dt.date(2026, 1, 15), Metric.SLA, "phone", "contact", "met", count=4)
    long = scope(acme, since=dt.date(2026, 1, 7), until=dt.date(2026, 5, 1))  # a Wednesday
    panel = throughput_by_day(long)
    assert panel.columns[0] == "Week starting"
    assert panel.rows[:3] == (
        ("2026-01-07", 1, 0, 0, 0, 0, 0),  # the range's first, short week
        ("2026-01-12", 5, 0, 0, 0, 0, 0),
        ("2026-01-19", 0, 0, 0, 0, 0, 0),
    )
    assert panel.rows[-1][0] == "2026-04-27" and len(panel.rows) == 17
    assert panel.series[0].points[1].href == (
        f"{QUEUE}?client={acme.pk}&opened_since=2026-01-12&opened_until=2026-01-18"
    )
    assert sla_by_day(long).rows[1][:2] == ("2026-01-12", 4)
    # 92 days or fewer: by the day.
    short = throughput_by_day(scope(acme, since=dt.date(2026, 1, 7), until=dt.date(2026, 4, 8)))
    assert short.columns[0] == "Day" and len(short.rows) == 92
