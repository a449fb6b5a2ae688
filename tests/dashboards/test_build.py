"""The daily figures, counted by hand: local days at their edges, tickets that cross
midnight, SLA outcomes, every source, rebuilds that replace and never add, late events,
and nothing of another client or of a customer in the table."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from profiledesk.dashboards import tasks
from profiledesk.dashboards.build import (
    day_bounds,
    figures_rebuild,
    figures_rebuild_days,
    figures_rebuild_recent,
)
from profiledesk.dashboards.models import DailyFigure, Metric
from profiledesk.tickets.models import State
from tests.dashboards.figure_rows import (
    approval_round,
    at,
    confirmation,
    connector,
    decide,
    delivery,
    figures,
    message,
    move,
    ticket,
)
from tests.factories import ClientFactory, CustomerFactory
from verification.models import Attempt, Lock, OtpChallenge

D15, D16, D17 = dt.date(2026, 1, 15), dt.date(2026, 1, 16), dt.date(2026, 1, 17)


@pytest.fixture
def tokyo(db):
    return ClientFactory(slug="tokyo", name="Tokyo Mobile", time_zone="Asia/Tokyo")


@pytest.fixture
def new_york(db):
    return ClientFactory(slug="new-york", name="New York Power", time_zone="America/New_York")


def _rebuild(client, since=D15, until=D17, now=None):
    return figures_rebuild_days(client=client, since=since, until=until, now=now)


# --- local days ---------------------------------------------------------------------


def test_an_event_at_2330_utc_counts_on_the_next_day_in_tokyo_and_the_same_day_in_new_york(
    tokyo, new_york
):
    for client in (tokyo, new_york):
        ticket(client, created=at("2026-01-15 23:30"))
        _rebuild(client)
    assert figures(tokyo, Metric.OPENED) == {("2026-01-16", "phone", "contact", ""): (1, [])}
    assert figures(new_york, Metric.OPENED) == {("2026-01-15", "phone", "contact", ""): (1, [])}


def test_a_local_day_starts_at_the_clients_midnight(tokyo):
    # Tokyo is UTC+9: its 16 January starts at 15:00 UTC on the 15th.
    ticket(tokyo, created=at("2026-01-15 14:59:59"))
    ticket(tokyo, created=at("2026-01-15 15:00"))
    ticket(tokyo, created=at("2026-01-16 14:59:59"))
    _rebuild(tokyo)
    assert figures(tokyo, Metric.OPENED) == {
        ("2026-01-15", "phone", "contact", ""): (1, []),
        ("2026-01-16", "phone", "contact", ""): (2, []),
    }


def test_the_day_the_clocks_change_is_23_hours_long_and_no_moment_falls_between_days():
    zone = ZoneInfo("America/New_York")
    start, end = day_bounds(dt.date(2026, 3, 8), zone)
    assert end - start == dt.timedelta(hours=23)
    assert day_bounds(dt.date(2026, 3, 9), zone)[0] == end


def test_a_ticket_opened_before_midnight_and_applied_after_counts_on_each_day(new_york):
    # 22:00 on the 15th in New York (UTC-5), applied at 01:00 on the 16th: three hours.
    crossing = ticket(new_york, created=at("2026-01-16 03:00"), state=State.APPLIED)
    move(crossing, State.APPLIED, at("2026-01-16 06:00"), source=State.READY)
    figures_rebuild(client=new_york, day=D15)
    assert figures(new_york, Metric.OPENED) == {("2026-01-15", "phone", "contact", ""): (1, [])}
    assert figures(new_york, Metric.FINISHED) == {}  # applied on the 16th, not the 15th
    figures_rebuild(client=new_york, day=D16)
    assert figures(new_york, Metric.FINISHED) == {
        ("2026-01-16", "applied", "phone", "contact"): (1, [3 * 3600])
    }
    assert figures(new_york, Metric.OPENED) == {("2026-01-15", "phone", "contact", ""): (1, [])}


# --- rebuilds -----------------------------------------------------------------------


def _snapshot(client):
    return sorted(
        DailyFigure.objects.filter(client=client).values_list(
            "day", "metric", "key1", "key2", "key3", "count", "durations"
        )
    )


def test_rebuilding_a_day_twice_leaves_the_same_rows(new_york):
    done = ticket(new_york, created=at("2026-01-15 14:00"), state=State.APPLIED)
    move(done, State.APPLIED, at("2026-01-15 16:00"))
    ticket(new_york, created=at("2026-01-15 15:00"), channel="chat")
    figures_rebuild(client=new_york, day=D15)
    first = _snapshot(new_york)
    figures_rebuild(client=new_york, day=D15)
    assert _snapshot(new_york) == first
    assert figures(new_york, Metric.OPENED)[("2026-01-15", "phone", "contact", "")] == (1, [])


def test_a_rebuild_drops_what_is_no_longer_true_and_leaves_other_days_alone(new_york):
    done = ticket(new_york, created=at("2026-01-15 14:00"), state=State.APPLIED)
    event = move(done, State.APPLIED, at("2026-01-15 16:00"))
    ticket(new_york, created=at("2026-01-16 14:00"))
    _rebuild(new_york)
    event.delete()
    figures_rebuild(client=new_york, day=D15)
    assert figures(new_york, Metric.FINISHED) == {}
    assert ("2026-01-16", "phone", "contact", "") in figures(new_york, Metric.OPENED)


def test_a_late_event_is_counted_by_the_weekly_rebuild_not_by_the_recent_one(new_york):
    """Beat's recent rebuild covers today and yesterday; a move recorded late on an older
    day reaches the figures with the weekly rebuild (or the command)."""
    late = ticket(
        new_york, created=at("2026-01-16 14:00"), due=at("2026-01-17 16:00"), state=State.READY
    )
    figures_rebuild_days(client=new_york, since=D15, until=D17, now=at("2026-01-17 12:00"))
    assert figures(new_york, Metric.SLA) == {("2026-01-17", "phone", "contact", "open"): (1, [])}
    # Applied on the 17th before it was due, but the move is written on the 20th.
    move(late, State.APPLIED, at("2026-01-17 15:00"))
    with time_machine.travel(at("2026-01-20 12:00"), tick=False):
        tasks.rebuild_recent()  # the 19th and the 20th
        assert figures(new_york, Metric.FINISHED) == {}
        assert figures(new_york, Metric.SLA)[("2026-01-17", "phone", "contact", "open")]
        tasks.rebuild_week()  # the 13th to the 20th
    assert figures(new_york, Metric.FINISHED) == {
        ("2026-01-17", "applied", "phone", "contact"): (1, [25 * 3600])
    }
    assert figures(new_york, Metric.SLA) == {("2026-01-17", "phone", "contact", "met"): (1, [])}


def test_beat_rebuilds_each_client_in_its_own_zone(tokyo, new_york):
    # 2026-01-20 23:30 UTC: already the 21st in Tokyo, still the 20th in New York.
    for client in (tokyo, new_york):
        ticket(client, created=at("2026-01-19 16:00"))  # the 20th in Tokyo, the 19th in NY
    with time_machine.travel(at("2026-01-20 23:30"), tick=False):
        tasks.rebuild_recent()
    assert set(DailyFigure.objects.filter(client=tokyo).values_list("day", flat=True)) == {
        dt.date(2026, 1, 20)
    }
    assert set(DailyFigure.objects.filter(client=new_york).values_list("day", flat=True)) == {
        dt.date(2026, 1, 19)
    }


def test_a_client_whose_rebuild_fails_does_not_stop_the_others(tokyo, new_york, monkeypatch):
    from profiledesk.dashboards import build

    ticket(new_york, created=at("2026-01-20 14:00"))
    real = build.figures_rebuild_days

    def failing(*, client, **kwargs):
        if client.pk == tokyo.pk:
            raise RuntimeError("boom")
        return real(client=client, **kwargs)

    monkeypatch.setattr(build, "figures_rebuild_days", failing)
    figures_rebuild_recent(days=2, clients=[tokyo, new_york], now=at("2026-01-20 18:00"))
    assert figures(new_york, Metric.OPENED)


# --- SLA ----------------------------------------------------------------------------


def test_sla_met_breached_or_open_counted_on_the_day_each_ticket_was_due(new_york, tokyo):
    due = at("2026-01-15 20:00")  # 15:00 in New York
    created = at("2026-01-15 13:00")

    def sla_ticket(state=State.VERIFYING, *, finished=None, to=State.APPLIED, **fields):
        row = ticket(new_york, created=created, due=due, state=state, **fields)
        if finished is not None:
            move(row, to, finished)
        return row

    sla_ticket(State.APPLIED, finished=due - dt.timedelta(hours=1))  # met
    sla_ticket(State.APPLIED, finished=due)  # met: at the due moment
    sla_ticket(State.CLOSED, finished=due - dt.timedelta(minutes=5))  # met (applied → closed)
    sla_ticket(  # breached, on chat / billing
        State.APPLIED, finished=due + dt.timedelta(minutes=1), channel="chat", category="billing"
    )
    sla_ticket()  # open past due: breached
    sla_ticket(paused_at=due - dt.timedelta(hours=2))  # its clock stopped in time: open
    sla_ticket(paused_at=due + dt.timedelta(hours=1))  # stopped too late: breached
    sla_ticket(  # cancelled while waiting on the customer, clock stopped in time: met
        State.CANCELLED,
        finished=due + dt.timedelta(hours=3),
        to=State.CANCELLED,
        paused_at=due - dt.timedelta(hours=1),
    )
    # Finished with no move on its timeline: its last write is when it finished at latest.
    ticket(
        new_york,
        created=created,
        due=due,
        state=State.REJECTED,
        updated=due - dt.timedelta(minutes=10),
    )
    ticket(new_york, created=created, due=at("2026-01-16 06:00"))  # due on the 16th locally
    ticket(tokyo, created=created, due=due)  # another client's
    _rebuild(new_york, since=D15, until=D15, now=at("2026-01-16 12:00"))
    assert figures(new_york, Metric.SLA) == {
        ("2026-01-15", "phone", "contact", "met"): (5, []),
        ("2026-01-15", "phone", "contact", "breached"): (2, []),
        ("2026-01-15", "phone", "contact", "open"): (1, []),
        ("2026-01-15", "chat", "billing", "breached"): (1, []),
    }


def test_an_open_ticket_not_yet_due_is_open_until_its_due_time_passes(new_york):
    ticket(new_york, created=at("2026-01-15 13:00"), due=at("2026-01-15 20:00"))
    figures_rebuild(client=new_york, day=D15, now=at("2026-01-15 19:59"))
    assert figures(new_york, Metric.SLA) == {("2026-01-15", "phone", "contact", "open"): (1, [])}
    figures_rebuild(client=new_york, day=D15, now=at("2026-01-15 20:00"))
    assert figures(new_york, Metric.SLA) == {
        ("2026-01-15", "phone", "contact", "breached"): (1, [])
    }


# --- throughput ---------------------------------------------------------------------


def test_moves_are_counted_on_their_day_with_the_time_from_intake_for_applied_and_closed(
    new_york,
):
    one = ticket(new_york, created=at("2026-01-15 14:00"), state=State.CLOSED)
    move(one, State.APPLIED, at("2026-01-15 15:00"))
    move(one, State.CLOSED, at("2026-01-15 15:30"))
    two = ticket(new_york, created=at("2026-01-15 14:00"), state=State.REJECTED)
    move(two, State.PENDING_APPROVAL, at("2026-01-15 14:30"))
    move(two, State.REJECTED, at("2026-01-15 16:00"))
    three = ticket(new_york, created=at("2026-01-15 14:00"), state=State.CANCELLED)
    move(three, State.CANCELLED, at("2026-01-15 14:10"))
    _rebuild(new_york)
    assert figures(new_york, Metric.FINISHED) == {
        ("2026-01-15", "applied", "phone", "contact"): (1, [3600]),
        ("2026-01-15", "closed", "phone", "contact"): (1, [5400]),
        ("2026-01-15", "rejected", "phone", "contact"): (1, []),
        ("2026-01-15", "cancelled", "phone", "contact"): (1, []),
    }
    assert figures(new_york, Metric.OPENED) == {("2026-01-15", "phone", "contact", ""): (3, [])}


# --- verification -------------------------------------------------------------------


def test_verification_attempts_by_method_and_result_and_lock_outs(new_york):
    customer = CustomerFactory(client=new_york)
    row = ticket(new_york, created=at("2026-01-15 14:00"), customer=customer)
    when = at("2026-01-15 15:00")
    sms = OtpChallenge.objects.create(
        ticket=row,
        customer=customer,
        purpose="identity",
        channel="sms",
        destination="phone:1",
        code_hash="x",
        created_at=when,
        expires_at=when,
    )

    def attempt(method, result, *, detail=None, challenge=None, purpose="identity"):
        Attempt.objects.create(
            ticket=row,
            customer=customer,
            method=method,
            purpose=purpose,
            result=result,
            at=when,
            challenge=challenge,
            detail=detail or {},
        )

    attempt("otp", "passed", detail={"channel": "email", "to": "g•••@example.com"})
    attempt("otp", "failed", challenge=sms)  # the channel read from its challenge
    attempt("otp", "failed", detail={"channel": "sms"})
    attempt("otp", "passed", detail={"channel": "email"}, purpose="new_contact")
    attempt("questions", "failed")
    attempt("questions", "passed")
    attempt("document", "passed")
    Lock.objects.create(
        customer=customer, ticket=row, created_at=when, locked_until=when, reason="too many"
    )
    _rebuild(new_york)
    assert figures(new_york, Metric.VERIFICATION) == {
        ("2026-01-15", "otp_email", "passed", "identity"): (1, []),
        ("2026-01-15", "otp_email", "passed", "new_contact"): (1, []),
        ("2026-01-15", "otp_sms", "failed", "identity"): (2, []),
        ("2026-01-15", "questions", "failed", "identity"): (1, []),
        ("2026-01-15", "questions", "passed", "identity"): (1, []),
        ("2026-01-15", "document", "passed", "identity"): (1, []),
    }
    assert figures(new_york, Metric.LOCKOUT) == {("2026-01-15", "", "", ""): (1, [])}


# --- approvals ----------------------------------------------------------------------


def test_each_tiers_decision_is_its_first_rejection_or_the_approval_that_completed_it(new_york):
    submitted = at("2026-01-15 14:00")

    def pending():
        return ticket(new_york, created=at("2026-01-15 13:00"), state=State.PENDING_APPROVAL)

    two_tiers = approval_round(pending(), submitted=submitted, tiers=2, status="rejected")
    decide(two_tiers, tier=1, decision="approved", when=at("2026-01-15 15:00"))
    decide(two_tiers, tier=2, decision="rejected", when=at("2026-01-15 17:00"))
    two_approvers = approval_round(pending(), submitted=submitted, per_tier=2, status="approved")
    decide(two_approvers, tier=1, decision="approved", when=at("2026-01-15 14:30"))
    decide(two_approvers, tier=1, decision="approved", when=at("2026-01-15 16:00"))
    voided = approval_round(pending(), submitted=submitted, status="voided")
    decide(voided, tier=1, decision="approved", when=at("2026-01-15 15:00"), voided=submitted)
    half = approval_round(pending(), submitted=submitted, per_tier=2)  # waits for a second
    decide(half, tier=1, decision="approved", when=at("2026-01-15 15:00"))
    _rebuild(new_york)
    assert figures(new_york, Metric.APPROVAL) == {
        ("2026-01-15", "1", "approved", ""): (2, [3600, 7200]),
        ("2026-01-15", "2", "rejected", ""): (1, [3 * 3600]),
    }


# --- risk and security --------------------------------------------------------------


def test_risk_levels_and_reasons_keep_rule_names_only(new_york):
    reasons = [
        {"rule": "takeover_sequence", "points": 50, "reason": "grace@example.com on 10 Jan"},
        {"rule": "takeover_sequence", "points": 50, "reason": "again"},
        {"rule": "<script>alert(1)</script>", "points": 1, "reason": "hostile"},
    ]
    ticket(new_york, created=at("2026-01-15 14:00"), risk="high", reasons=reasons)
    ticket(new_york, created=at("2026-01-15 14:00"), risk="low")
    ticket(
        new_york,
        created=at("2026-01-15 14:00"),
        risk="critical",
        reasons=[{"rule": "customer_report", "points": 80, "reason": "PD-000001"}],
    )
    _rebuild(new_york)
    assert figures(new_york, Metric.RISK_LEVEL) == {
        ("2026-01-15", "high", "", ""): (1, []),
        ("2026-01-15", "low", "", ""): (1, []),
        ("2026-01-15", "critical", "", ""): (1, []),
    }
    assert figures(new_york, Metric.RISK_REASON) == {
        ("2026-01-15", "takeover_sequence", "", ""): (1, []),
        ("2026-01-15", "other", "", ""): (1, []),
        ("2026-01-15", "customer_report", "", ""): (1, []),
    }


def test_escalations_on_their_day_and_securitys_decisions_with_the_time_it_took(new_york):
    returned = ticket(new_york, created=at("2026-01-15 13:00"), state=State.VERIFYING)
    move(returned, State.ESCALATED, at("2026-01-15 15:00"))
    move(returned, State.VERIFYING, at("2026-01-15 17:00"), source=State.ESCALATED)
    fraud = ticket(new_york, created=at("2026-01-15 13:00"), state=State.REJECTED)
    move(fraud, State.ESCALATED, at("2026-01-15 14:00"))
    move(fraud, State.REJECTED, at("2026-01-15 14:30"), source=State.ESCALATED)
    waiting = ticket(new_york, created=at("2026-01-15 13:00"), state=State.ESCALATED)
    move(waiting, State.ESCALATED, at("2026-01-15 16:00"))
    _rebuild(new_york)
    assert figures(new_york, Metric.ESCALATED) == {("2026-01-15", "", "", ""): (3, [])}
    assert figures(new_york, Metric.ESCALATION_OUTCOME) == {
        ("2026-01-15", "verifying", "", ""): (1, [7200]),
        ("2026-01-15", "rejected", "", ""): (1, [1800]),
    }


# --- downstream and messages --------------------------------------------------------


def test_deliveries_per_connector_with_their_lag_and_confirmations_by_outcome(new_york):
    row = ticket(new_york, created=at("2026-01-15 13:00"), state=State.APPLIED)
    crm, billing, app = (
        connector(new_york),
        connector(new_york, "Billing"),
        connector(new_york, "App"),
    )
    when = at("2026-01-15 15:00")
    seconds = dt.timedelta(seconds=1)
    delivery(row, crm, created=when, status="delivered", delivered=when + 5 * seconds)
    delivery(row, crm, created=when, status="delivered", delivered=when + 15 * seconds)
    delivery(row, crm, created=when, status="failing")
    delivery(row, crm, created=when, status="gave_up")
    delivery(row, billing, created=when, status="pending")
    for status, error in (
        ("sent", ""),
        ("failed", "gave up: the SMTP server did not answer"),
        ("failed", "554 refused"),
        ("queued", "timeout"),
        ("queued", ""),
    ):
        confirmation(
            row, created=when, message_=message(row, created=when, status=status, error=error)
        )
    confirmation(
        row, created=when, message_=message(row, created=when, channel="sms", status="sent")
    )
    in_app = delivery(row, app, created=when, status="delivered", delivered=when + seconds)
    confirmation(row, created=when, delivery_=in_app)
    _rebuild(new_york)
    assert figures(new_york, Metric.DELIVERY) == {
        ("2026-01-15", "CRM", "delivered", ""): (2, [5, 15]),
        ("2026-01-15", "CRM", "failing", ""): (1, []),
        ("2026-01-15", "CRM", "gave_up", ""): (1, []),
        ("2026-01-15", "Billing", "pending", ""): (1, []),
        ("2026-01-15", "App", "delivered", ""): (1, [1]),
    }
    assert figures(new_york, Metric.CONFIRMATION) == {
        ("2026-01-15", "email", "sent", ""): (1, []),
        ("2026-01-15", "email", "gave_up", ""): (1, []),
        ("2026-01-15", "email", "failed", ""): (1, []),
        ("2026-01-15", "email", "retrying", ""): (1, []),
        ("2026-01-15", "email", "pending", ""): (1, []),
        ("2026-01-15", "sms", "sent", ""): (1, []),
        ("2026-01-15", "app", "sent", ""): (1, []),
    }


# --- what the table never holds -----------------------------------------------------


def test_no_customer_data_and_no_other_clients_figures_reach_the_table(new_york, tokyo):
    customer = CustomerFactory(client=new_york)
    row = ticket(
        new_york,
        created=at("2026-01-15 14:00"),
        customer=customer,
        reasons=[{"rule": "recent_contact_change", "points": 25, "reason": "grace@example.com"}],
    )
    confirmation(
        row, created=at("2026-01-15 15:00"), message_=message(row, created=at("2026-01-15 15:00"))
    )
    ticket(tokyo, created=at("2026-01-15 14:00"))
    _rebuild(new_york)
    stored = list(DailyFigure.objects.values_list("client_id", "key1", "key2", "key3"))
    assert stored and {client_id for client_id, *_keys in stored} == {new_york.pk}
    for _client, *keys in stored:
        for key in keys:
            assert "@" not in key and "+44" not in key and customer.number not in key


def test_beat_rebuilds_recent_days_every_five_minutes_and_the_last_week_daily():
    from django.conf import settings

    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["dashboards-recent"] == {"task": tasks.rebuild_recent.name, "schedule": 300.0}
    assert schedule["dashboards-week"] == {"task": tasks.rebuild_week.name, "schedule": 86400.0}
    assert (tasks.RECENT_DAYS, tasks.WEEK_DAYS) == (2, 8)


def test_a_rebuild_that_finds_its_task_already_running_does_nothing(new_york):
    from django.core.cache import cache

    ticket(new_york, created=at("2026-01-20 14:00"))
    with time_machine.travel(at("2026-01-20 18:00"), tick=False):
        cache.add("dashboards:rebuild:recent", 1, 60)  # another worker's run
        assert tasks.rebuild_recent() == 0
        assert not DailyFigure.objects.exists()
        assert tasks.rebuild_week() > 0  # the other task is not held up
        cache.delete("dashboards:rebuild:recent")
        DailyFigure.objects.all().delete()
        assert tasks.rebuild_recent() > 0
        assert tasks.rebuild_recent() > 0  # its lock went with the run
