"""The "now" panels against hand-counted fixtures: what each bar counts and where it links."""

import datetime as dt
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
import time_machine

from profiledesk.approvals.models import ApprovalRound
from profiledesk.dashboards.now import (
    approvals_now,
    backlog_by_age,
    backlog_by_channel,
    backlog_by_state,
    sla_now,
)
from profiledesk.dashboards.panels import Scope
from profiledesk.tickets.models import Channel, State
from tests.conftest import signed_in
from tests.tickets.queue_helpers import queue_ticket, references_in

NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)


def scope(*clients) -> Scope:
    return Scope(
        client_ids=tuple(c.pk for c in clients),
        since=dt.date(2026, 11, 6),
        until=dt.date(2026, 12, 5),
        zone=ZoneInfo("UTC"),
    )


def values(panel) -> dict[str, int]:
    return {p.label: p.value for p in panel.series[0].points}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def opened(ticket, hours_ago):
    ticket.created_at = NOW - dt.timedelta(hours=hours_ago)
    ticket.save(update_fields=["created_at"])
    return ticket


def test_backlog_by_state_counts_open_tickets_of_the_scope_only(northwind, solaris, clock):
    queue_ticket(northwind)
    queue_ticket(northwind, state=State.VERIFYING)
    queue_ticket(northwind, state=State.VERIFYING)
    queue_ticket(northwind, state=State.CLOSED)  # not open: not in the backlog
    queue_ticket(solaris)  # another client
    panel = backlog_by_state(scope(northwind))
    counts = values(panel)
    assert counts["New"] == 1 and counts["Verifying"] == 2 and sum(counts.values()) == 3
    assert "Closed" not in counts
    assert panel.rows == tuple(counts.items())


def test_backlog_by_age_puts_each_ticket_in_one_band(northwind, clock):
    for hours in (0.5, 1, 3, 5, 30, 80, 200):
        opened(queue_ticket(northwind), hours)
    counts = values(backlog_by_age(scope(northwind)))
    assert counts == {
        "Under 1 hour": 1,
        "1 to 4 hours": 2,
        "4 to 24 hours": 1,
        "1 to 3 days": 1,
        "Over 3 days": 2,
    }


def test_backlog_by_channel(northwind, clock):
    queue_ticket(northwind, channel=Channel.EMAIL)
    queue_ticket(northwind, channel=Channel.EMAIL)
    queue_ticket(northwind, channel=Channel.API)
    counts = values(backlog_by_channel(scope(northwind)))
    assert (counts["E-mail"], counts["API"], counts["Phone"]) == (2, 1, 0)


def test_sla_now_counts_breaches_and_due_within_the_hour_as_the_queue_does(northwind, clock):
    queue_ticket(northwind, due_in=dt.timedelta(minutes=-5))  # breached
    queue_ticket(northwind, due_in=dt.timedelta(minutes=30))  # due soon
    queue_ticket(northwind, due_in=dt.timedelta(hours=3))  # fine
    # Paused after its due time: breached; paused before it: neither (the clock stopped).
    queue_ticket(
        northwind, due_in=dt.timedelta(minutes=-10), paused_at=NOW - dt.timedelta(minutes=1)
    )
    queue_ticket(northwind, due_in=dt.timedelta(minutes=20), paused_at=NOW)
    counts = values(sla_now(scope(northwind)))
    assert counts == {"Breached": 2, "Due within the hour": 1}


def test_approvals_waiting_per_tier(northwind, solaris, clock):
    def waiting(client, tier, status=ApprovalRound.Status.OPEN):
        ticket = queue_ticket(client, state=State.PENDING_APPROVAL)
        ApprovalRound.objects.create(
            ticket=ticket, client=client, tiers_needed=2, current_tier=tier,
            diff_hash="0" * 64, status=status, submitted_at=NOW,
        )  # fmt: skip

    waiting(northwind, 1)
    waiting(northwind, 2)
    waiting(northwind, 2)
    waiting(northwind, 1, status=ApprovalRound.Status.APPROVED)
    waiting(solaris, 1)
    assert values(approvals_now(scope(northwind))) == {"Tier 1": 1, "Tier 2": 2}


def test_each_bar_opens_the_queue_with_what_it_counts(northwind, agent, clock):
    breached = queue_ticket(northwind, due_in=dt.timedelta(minutes=-5))
    queue_ticket(northwind, due_in=dt.timedelta(hours=5))
    old = opened(queue_ticket(northwind), 100)
    http = signed_in(agent)
    for panel, label, expected in [
        (sla_now(scope(northwind)), "Breached", [breached.reference]),
        (backlog_by_age(scope(northwind)), "Over 3 days", [old.reference]),
    ]:
        point = next(p for p in panel.series[0].points if p.label == label)
        query = parse_qs(urlparse(point.href).query)
        assert query["client"] == [str(northwind.pk)]
        assert references_in(http.get(point.href)) == expected
        assert point.value == len(expected)


def test_all_clients_links_leave_the_client_open(northwind, solaris, clock):
    point = backlog_by_state(scope(northwind, solaris)).series[0].points[0]
    assert "client" not in parse_qs(urlparse(point.href).query)
