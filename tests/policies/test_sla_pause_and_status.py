"""sla_pause / sla_resume (the clock stops while the ticket waits on the customer) and
sla_status (what the queue and the ticket page say about the clock)."""

import datetime as dt

import pytest
import time_machine

from profiledesk.policies.sla import due_status, sla_pause, sla_resume, sla_status
from profiledesk.tickets.models import Ticket

from .builders import LONDON, at, hours, make_ticket


@pytest.fixture
def office(northwind):
    """Northwind (Europe/London), open Monday to Friday 08:00-20:00."""
    hours(northwind, ("08:00", "20:00"))
    return northwind


def _ticket(client, *, due: dt.datetime, paused_at: dt.datetime | None = None) -> Ticket:
    ticket = make_ticket(client, created_at=due - dt.timedelta(hours=2), sla_due_at=due)
    if paused_at is not None:
        ticket.sla_paused_at = paused_at
        ticket.save(update_fields=["sla_paused_at"])
    return ticket


# -- pause and resume -----------------------------------------------------------------


def test_resuming_moves_the_due_time_by_the_business_time_spent_paused(office):
    ticket = _ticket(office, due=at(LONDON, "2026-06-02 11:00"))
    sla_pause(ticket=ticket, at=at(LONDON, "2026-06-02 10:00"))
    sla_resume(ticket=ticket, at=at(LONDON, "2026-06-02 10:30"))
    ticket.refresh_from_db()
    assert ticket.sla_due_at == at(LONDON, "2026-06-02 11:30")
    assert ticket.sla_paused_at is None


def test_a_pause_over_closing_time_keeps_the_business_time_that_was_left(office):
    # Due Wednesday 08:30; paused Tuesday 19:30 with one business hour left.
    ticket = _ticket(office, due=at(LONDON, "2026-06-03 08:30"))
    sla_pause(ticket=ticket, at=at(LONDON, "2026-06-02 19:30"))
    sla_resume(ticket=ticket, at=at(LONDON, "2026-06-03 08:30"))
    ticket.refresh_from_db()
    # 30 min paused on Tuesday and 30 on Wednesday: still one business hour left.
    assert ticket.sla_due_at == at(LONDON, "2026-06-03 09:30")


def test_a_pause_that_lasts_only_while_the_desk_is_closed_moves_nothing(office):
    due = at(LONDON, "2026-06-08 10:00")
    ticket = _ticket(office, due=due)
    sla_pause(ticket=ticket, at=at(LONDON, "2026-06-06 10:00"))  # Saturday
    sla_resume(ticket=ticket, at=at(LONDON, "2026-06-07 18:00"))  # Sunday
    ticket.refresh_from_db()
    assert ticket.sla_due_at == due


def test_a_breach_before_the_pause_is_still_a_breach_of_the_same_length_after_it(office):
    ticket = _ticket(office, due=at(LONDON, "2026-06-02 10:00"))
    sla_pause(ticket=ticket, at=at(LONDON, "2026-06-02 10:30"))
    resumed = at(LONDON, "2026-06-02 11:00")
    sla_resume(ticket=ticket, at=resumed)
    ticket.refresh_from_db()
    assert resumed - ticket.sla_due_at == dt.timedelta(minutes=30)


def test_pausing_a_paused_ticket_keeps_the_moment_it_first_stopped(office):
    ticket = _ticket(office, due=at(LONDON, "2026-06-02 11:00"))
    first = at(LONDON, "2026-06-02 10:00")
    sla_pause(ticket=ticket, at=first)
    sla_pause(ticket=ticket, at=at(LONDON, "2026-06-02 10:20"))
    ticket.refresh_from_db()
    assert ticket.sla_paused_at == first


def test_resuming_a_ticket_that_is_not_paused_changes_nothing(office):
    due = at(LONDON, "2026-06-02 11:00")
    ticket = _ticket(office, due=due)
    versions = ticket.history.count()
    sla_resume(ticket=ticket, at=at(LONDON, "2026-06-02 10:30"))
    ticket.refresh_from_db()
    assert ticket.sla_due_at == due
    assert ticket.history.count() == versions


def test_pause_and_resume_update_the_callers_ticket_too(office):
    ticket = _ticket(office, due=at(LONDON, "2026-06-02 11:00"))
    sla_pause(ticket=ticket, at=at(LONDON, "2026-06-02 10:00"))
    assert ticket.sla_paused_at == at(LONDON, "2026-06-02 10:00")
    sla_resume(ticket=ticket, at=at(LONDON, "2026-06-02 10:15"))
    assert (ticket.sla_paused_at, ticket.sla_due_at) == (None, at(LONDON, "2026-06-02 11:15"))


def test_pause_and_resume_leave_history_rows_that_say_so(office):
    ticket = _ticket(office, due=at(LONDON, "2026-06-02 11:00"))
    sla_pause(ticket=ticket, at=at(LONDON, "2026-06-02 10:00"))
    sla_resume(ticket=ticket, at=at(LONDON, "2026-06-02 10:15"))
    reasons = list(
        ticket.history.order_by("history_id").values_list("history_change_reason", flat=True)
    )
    assert reasons[-2:] == ["SLA clock paused", "SLA clock resumed"]


def test_pausing_without_a_moment_pauses_now(office):
    ticket = _ticket(office, due=at(LONDON, "2026-06-02 11:00"))
    with time_machine.travel(at(LONDON, "2026-06-02 10:05"), tick=False):
        sla_pause(ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.sla_paused_at == at(LONDON, "2026-06-02 10:05")


# -- status ---------------------------------------------------------------------------

NOW = at(LONDON, "2026-06-02 10:00")


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        (dt.timedelta(minutes=42), ("due_soon", "due in 42 min")),
        (dt.timedelta(minutes=60), ("due_soon", "due in 1 h")),
        (dt.timedelta(minutes=61), ("ok", "due in 1 h 1 min")),
        (dt.timedelta(hours=3, minutes=5), ("ok", "due in 3 h 5 min")),
        (dt.timedelta(days=1, hours=3), ("ok", "due in 1 day 3 h")),
        (dt.timedelta(days=2), ("ok", "due in 2 days")),
        (dt.timedelta(seconds=30), ("due_soon", "due in less than a minute")),
        (dt.timedelta(minutes=42, seconds=59), ("due_soon", "due in 42 min")),
        (dt.timedelta(0), ("breached", "breached less than a minute ago")),
        (-dt.timedelta(minutes=5), ("breached", "breached 5 min ago")),
        (-dt.timedelta(hours=26), ("breached", "breached 1 day 2 h ago")),
    ],
)
def test_the_status_says_how_long_until_or_since_the_breach(northwind, left, expected):
    ticket = _ticket(northwind, due=NOW + left)
    assert sla_status(ticket, NOW) == expected


def test_a_paused_clock_shows_what_was_left_when_it_stopped(northwind):
    ticket = _ticket(
        northwind, due=at(LONDON, "2026-06-02 09:30"), paused_at=at(LONDON, "2026-06-02 09:00")
    )
    assert sla_status(ticket, NOW) == ("due_soon", "clock paused, 30 min left")


def test_a_clock_paused_after_the_breach_stays_breached(northwind):
    ticket = _ticket(
        northwind, due=at(LONDON, "2026-06-02 08:30"), paused_at=at(LONDON, "2026-06-02 09:00")
    )
    assert sla_status(ticket, NOW) == ("breached", "breached; clock paused")


def test_the_status_makes_no_query(northwind, django_assert_num_queries):
    ticket = _ticket(northwind, due=NOW + dt.timedelta(minutes=42))
    with django_assert_num_queries(0):
        sla_status(ticket, NOW)


@pytest.mark.parametrize("left", [dt.timedelta(minutes=42), -dt.timedelta(minutes=5)])
def test_any_running_clock_reads_like_a_tickets(northwind, left, django_assert_num_queries):
    # due_status is what the approval queue shows for a tier's clock.
    ticket = _ticket(northwind, due=NOW + left)
    with django_assert_num_queries(0):
        assert due_status(NOW + left, NOW) == sla_status(ticket, NOW)
