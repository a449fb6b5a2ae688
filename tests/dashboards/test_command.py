"""manage.py dashboards_rebuild: a range of local days on demand, refused with a reason
when the range or the client is wrong; and a figure from raw rows to the panel."""

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from profiledesk.dashboards.figures.throughput import throughput_by_day, time_to_done
from profiledesk.dashboards.models import DailyFigure
from profiledesk.dashboards.panels import Scope
from profiledesk.tickets.models import State
from tests.dashboards.figure_rows import at, move, ticket
from tests.factories import ClientFactory


@pytest.fixture
def lisbon(db):
    return ClientFactory(slug="lisbon", name="Lisbon Water", time_zone="Europe/Lisbon")


@pytest.fixture
def tokyo(db):
    return ClientFactory(slug="tokyo", name="Tokyo Mobile", time_zone="Asia/Tokyo")


def _rebuild(*args):
    out = StringIO()
    call_command("dashboards_rebuild", *args, stdout=out)
    return out.getvalue()


def test_the_command_rebuilds_a_range_longer_than_one_pass_for_one_client(lisbon, tokyo):
    for day in (1, 9, 20):  # in the first and second 7-day pass, and after the range
        ticket(lisbon, created=at(f"2026-02-{day:02d} 12:00"))
    ticket(tokyo, created=at("2026-02-09 12:00"))
    out = _rebuild("--client", "lisbon", "--since", "2026-02-01", "--until", "2026-02-10")
    days = set(DailyFigure.objects.values_list("client__slug", "day"))
    assert days == {("lisbon", dt.date(2026, 2, 1)), ("lisbon", dt.date(2026, 2, 9))}
    assert "lisbon: 2026-02-01 to 2026-02-10" in out
    _rebuild("--since", "2026-02-01", "--until", "2026-02-10")  # every client, again
    assert DailyFigure.objects.filter(client=tokyo).exists()
    assert DailyFigure.objects.filter(client=lisbon).count() == 4  # opened + risk level, twice


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-13-01"], "is not a date: write it as YYYY-MM-DD"),
        (["--since", "2026-02-10", "--until", "2026-02-01"], "--since is after --until"),
        (["--client", "nobody", "--since", "2026-02-01"], "No client with the slug 'nobody'"),
        (["--since", "2999-01-01"], "--since is after today"),
    ],
)
def test_a_wrong_range_or_client_is_refused_with_a_reason(lisbon, args, message):
    with pytest.raises(CommandError, match=message):
        _rebuild(*args)
    assert not DailyFigure.objects.exists()


def test_from_raw_tickets_to_the_panel(lisbon):
    """Opened on the 1st at 23:30 Lisbon time, applied after midnight: the panel shows it
    opened on the 1st and applied on the 2nd, 90 minutes after intake."""
    crossing = ticket(lisbon, created=at("2026-02-01 23:30"), state=State.APPLIED)
    move(crossing, State.APPLIED, at("2026-02-02 01:00"))
    _rebuild("--since", "2026-02-01", "--until", "2026-02-02")
    scope = Scope(
        client_ids=(lisbon.pk,),
        since=dt.date(2026, 2, 1),
        until=dt.date(2026, 2, 2),
        zone=ZoneInfo("Europe/Lisbon"),
    )
    assert throughput_by_day(scope).rows == (
        ("2026-02-01", 1, 0, 0, 0, 0, 0),
        ("2026-02-02", 0, 1, 0, 0, 0, 0),
    )
    assert time_to_done(scope).rows[1][:4] == ("2026-02-02", 1, 90.0, 90.0)
