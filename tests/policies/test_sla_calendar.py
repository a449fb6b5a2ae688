"""sla_due and business_time_between: the client's calendar at its edges."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from profiledesk.policies.sla import business_time_between, sla_due
from tests.factories import ClientFactory

from .builders import EVERY_DAY, LONDON, MADRID, at, holiday, hours

UTC = dt.UTC


@pytest.fixture
def office(northwind):
    """Northwind (Europe/London), open Monday to Friday 08:00-20:00."""
    hours(northwind, ("08:00", "20:00"))
    return northwind


def test_a_request_inside_hours_is_due_after_that_many_business_minutes(office):
    due = sla_due(client=office, start=at(LONDON, "2026-06-02 09:00"), minutes=120)
    assert due == at(LONDON, "2026-06-02 11:00")


def test_the_due_time_is_returned_in_utc(office):
    due = sla_due(client=office, start=at(LONDON, "2026-06-02 09:00"), minutes=120)
    assert due.utcoffset() == dt.timedelta(0)
    assert due == dt.datetime(2026, 6, 2, 10, 0, tzinfo=UTC)  # 11:00 BST


def test_a_request_before_opening_starts_the_clock_at_opening(office):
    due = sla_due(client=office, start=at(LONDON, "2026-06-02 06:30"), minutes=120)
    assert due == at(LONDON, "2026-06-02 10:00")


def test_a_request_after_closing_starts_the_clock_next_morning(office):
    due = sla_due(client=office, start=at(LONDON, "2026-06-02 21:00"), minutes=120)
    assert due == at(LONDON, "2026-06-03 10:00")


def test_a_clock_that_runs_out_at_closing_time_is_due_at_closing_time(office):
    due = sla_due(client=office, start=at(LONDON, "2026-06-02 18:00"), minutes=120)
    assert due == at(LONDON, "2026-06-02 20:00")


def test_what_is_left_on_friday_evening_is_spent_on_monday_morning(office):
    due = sla_due(client=office, start=at(LONDON, "2026-06-05 19:00"), minutes=120)
    assert due == at(LONDON, "2026-06-08 09:00")


def test_a_request_on_saturday_is_counted_from_monday_opening(office):
    due = sla_due(client=office, start=at(LONDON, "2026-06-06 11:00"), minutes=60)
    assert due == at(LONDON, "2026-06-08 09:00")


def test_the_clock_does_not_run_on_a_holiday(office):
    holiday(office, "2026-12-25", "Christmas Day")
    due = sla_due(client=office, start=at(LONDON, "2026-12-24 19:00"), minutes=120)
    assert due == at(LONDON, "2026-12-28 09:00")  # Friday 25th is a holiday


def test_a_request_on_a_holiday_waits_for_the_next_working_day(office):
    holiday(office, "2026-06-03")
    due = sla_due(client=office, start=at(LONDON, "2026-06-03 10:00"), minutes=30)
    assert due == at(LONDON, "2026-06-04 08:30")


def test_a_holiday_is_a_date_in_the_clients_time_zone(db):
    # 20:00 on Monday in Los Angeles is already Tuesday in UTC.
    pacific = ClientFactory(time_zone="America/Los_Angeles")
    hours(pacific, ("08:00", "22:00"))
    holiday(pacific, "2026-05-04", "Monday off")
    los_angeles = ZoneInfo("America/Los_Angeles")
    due = sla_due(client=pacific, start=at(los_angeles, "2026-05-04 20:00"), minutes=60)
    assert due == at(los_angeles, "2026-05-05 09:00")


def test_a_lunch_break_stops_the_clock(office):
    office.business_hours.all().delete()
    hours(office, ("09:00", "13:00"), ("14:00", "18:00"))
    due = sla_due(client=office, start=at(LONDON, "2026-06-02 12:30"), minutes=60)
    assert due == at(LONDON, "2026-06-02 14:30")


def test_a_request_during_the_lunch_break_starts_after_it(office):
    office.business_hours.all().delete()
    hours(office, ("09:00", "13:00"), ("14:00", "18:00"))
    due = sla_due(client=office, start=at(LONDON, "2026-06-02 13:20"), minutes=30)
    assert due == at(LONDON, "2026-06-02 14:30")


def test_overlapping_periods_count_once(office):
    office.business_hours.all().delete()
    hours(office, ("09:00", "13:00"), ("12:00", "15:00"))
    due = sla_due(client=office, start=at(LONDON, "2026-06-02 09:00"), minutes=6 * 60)
    assert due == at(LONDON, "2026-06-02 15:00")


def test_a_period_closing_at_midnight_runs_to_the_end_of_the_day(office):
    office.business_hours.all().delete()
    hours(office, ("16:00", "00:00"), days=EVERY_DAY)
    due = sla_due(client=office, start=at(LONDON, "2026-06-02 23:00"), minutes=120)
    assert due == at(LONDON, "2026-06-03 17:00")


def test_a_client_without_business_hours_works_round_the_clock(northwind):
    due = sla_due(client=northwind, start=at(LONDON, "2026-06-06 23:00"), minutes=120)
    assert due == at(LONDON, "2026-06-07 01:00")  # Saturday night into Sunday


def test_a_round_the_clock_client_still_stops_on_its_holidays(northwind):
    holiday(northwind, "2026-06-07")
    due = sla_due(client=northwind, start=at(LONDON, "2026-06-06 23:00"), minutes=120)
    assert due == at(LONDON, "2026-06-08 01:00")


def test_a_round_the_clock_client_counts_real_time_across_the_clocks_going_forward(northwind):
    # 00:00 to 04:00 on 29 March 2026 in London is three real hours.
    due = sla_due(client=northwind, start=at(LONDON, "2026-03-29 00:00"), minutes=180)
    assert due == at(LONDON, "2026-03-29 04:00")


def test_friday_evening_to_monday_across_the_clocks_going_forward_in_london(office):
    # Friday 19:00 GMT, one hour left that day; Monday opens at 08:00 BST (07:00 UTC).
    due = sla_due(client=office, start=at(LONDON, "2026-03-27 19:00"), minutes=120)
    assert due == at(LONDON, "2026-03-30 09:00")
    assert due == dt.datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def test_friday_evening_to_monday_across_the_clocks_going_back_in_madrid(solaris):
    hours(solaris, ("09:00", "14:00"), ("16:00", "19:00"))
    # Friday 18:30 CEST: 30 min left that day; Monday opens at 09:00 CET (08:00 UTC).
    due = sla_due(client=solaris, start=at(MADRID, "2026-10-23 18:30"), minutes=90)
    assert due == at(MADRID, "2026-10-26 10:00")
    assert due == dt.datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


def test_a_day_when_the_clocks_go_forward_has_one_business_hour_less(office):
    office.business_hours.all().delete()
    hours(office, ("00:00", "00:00"), days=EVERY_DAY)  # open all day, every day
    # 24 business hours from Saturday noon: Sunday 29 March has only 23 hours.
    due = sla_due(client=office, start=at(LONDON, "2026-03-28 12:00"), minutes=24 * 60)
    assert due == at(LONDON, "2026-03-29 13:00")


def test_a_night_shift_spanning_the_clocks_going_back_in_madrid_is_seven_hours_long(solaris):
    hours(solaris, ("00:00", "06:00"), days=[6])  # Sundays 00:00-06:00
    start, end = at(MADRID, "2026-10-25 00:00"), at(MADRID, "2026-10-26 00:00")
    assert business_time_between(client=solaris, start=start, end=end) == dt.timedelta(hours=7)
    # Six business hours from midnight end at 05:00 CET: 02:00-03:00 happened twice.
    due = sla_due(client=solaris, start=start, minutes=6 * 60)
    assert due == dt.datetime(2026, 10, 25, 4, 0, tzinfo=UTC)
    assert due == at(MADRID, "2026-10-25 05:00")


def test_a_period_opening_in_the_skipped_hour_opens_an_hour_later_by_the_new_clock(office):
    office.business_hours.all().delete()
    hours(office, ("01:30", "04:00"), days=[6])  # Sundays; 01:00-02:00 does not exist
    # On 29 March it opens at 02:30 BST (01:30 GMT) and closes at 04:00 BST.
    start = at(LONDON, "2026-03-29 00:00")
    assert business_time_between(
        client=office, start=start, end=at(LONDON, "2026-03-30 00:00")
    ) == dt.timedelta(hours=1, minutes=30)


def test_business_time_between_skips_nights_weekends_and_holidays(office):
    holiday(office, "2026-06-08")
    start, end = at(LONDON, "2026-06-05 19:00"), at(LONDON, "2026-06-09 09:30")
    # Friday 19:00-20:00, Monday a holiday, Tuesday 08:00-09:30.
    assert business_time_between(client=office, start=start, end=end) == dt.timedelta(
        hours=2, minutes=30
    )


def test_business_time_between_is_zero_when_the_end_is_not_later(office):
    moment = at(LONDON, "2026-06-02 10:00")
    assert business_time_between(client=office, start=moment, end=moment) == dt.timedelta(0)


def test_a_naive_start_is_refused(office):
    with pytest.raises(ValueError, match="timezone-aware"):
        sla_due(client=office, start=dt.datetime(2026, 6, 2, 9, 0), minutes=60)  # noqa: DTZ001 - the point


def test_the_due_time_takes_two_queries_however_far_away_it_is(office, django_assert_num_queries):
    # Expect 2 queries: the client's business hours, its holidays from the start date on.
    with django_assert_num_queries(2):
        sla_due(client=office, start=at(LONDON, "2026-06-02 09:00"), minutes=60 * 60)
