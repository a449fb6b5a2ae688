"""SLA clocks on the client's calendar (docs/design.md §5): business hours in the client's time
zone, minus its holidays; the clock stops while the ticket waits on the customer.

The calendar:
- A client's week is its `BusinessHours` rows, each a period of one weekday in local
  time (two rows on one day make a lunch break). A period that closes at 00:00 runs to
  midnight; overlapping periods count once.
- A client with no business hours at all works round the clock (24/7).
- A holiday is a local date on which the clock does not run, for 24/7 clients too.
- Every sum is done in UTC, so a period that spans a daylight-saving change is as long as
  it really is (00:00-24:00 on the day the clocks go forward is 23 hours). A time in the
  hour the clocks skip is read with the offset before the change (01:30 is 02:30 on the
  new clock); a time in the hour that repeats is its first occurrence.

Pausing: `sla_pause` records when the ticket started waiting on the customer;
`sla_resume` pushes `sla_due_at` later by the business time that passed meanwhile, so
the time left when the clock stopped is the time left when it starts again.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from profiledesk.tickets.models import Ticket

from .models import BusinessHours, Holiday

# What "due soon" means on the queue and on a ticket.
DUE_SOON = dt.timedelta(hours=1)
_DAY = dt.timedelta(days=1)
_MIDNIGHT = dt.time(0)
_HORIZON_DAYS = 366 * 2  # a calendar with no opening in two years is a broken calendar

Interval = tuple[dt.datetime, dt.datetime]


class SlaStatus(models.TextChoices):
    BREACHED = "breached", gettext_lazy("Breached")
    DUE_SOON = "due_soon", gettext_lazy("Due soon")
    OK = "ok", gettext_lazy("On time")


@dataclass(frozen=True)
class Calendar:
    """A client's working time: open intervals in UTC, day by day."""

    zone: ZoneInfo
    # weekday (0 = Monday) -> (opens, closes) in local time; empty: round the clock.
    hours: dict[int, tuple[tuple[dt.time, dt.time], ...]]
    holidays: frozenset[dt.date]

    @classmethod
    def for_client(cls, client, *, since: dt.datetime) -> "Calendar":
        """The client's calendar from `since` on (two queries: hours, holidays)."""
        zone = ZoneInfo(client.time_zone)
        hours: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for weekday, opens, closes in BusinessHours.objects.filter(client=client).values_list(
            "weekday", "opens", "closes"
        ):
            hours.setdefault(weekday, []).append((opens, closes))
        first_day = since.astimezone(zone).date()
        holidays = Holiday.objects.filter(client=client, date__gte=first_day).values_list(
            "date", flat=True
        )
        return cls(
            zone=zone,
            hours={day: tuple(periods) for day, periods in hours.items()},
            holidays=frozenset(holidays),
        )

    def periods(self, day: dt.date) -> list[Interval]:
        """The open intervals of one local day, in UTC, sorted and merged."""
        if day in self.holidays:
            return []
        if self.hours:
            local = [
                self._local(day, opens, closes)
                for opens, closes in self.hours.get(day.weekday(), ())
            ]
        else:
            local = [self._local(day, _MIDNIGHT, _MIDNIGHT)]
        merged: list[Interval] = []
        for begin, end in sorted(
            (begin.astimezone(dt.UTC), end.astimezone(dt.UTC)) for begin, end in local
        ):
            if begin >= end:
                continue
            if merged and begin <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((begin, end))
        return merged

    def _local(self, day: dt.date, opens: dt.time, closes: dt.time) -> Interval:
        begin = dt.datetime.combine(day, opens, tzinfo=self.zone)
        close_day = day + _DAY if closes == _MIDNIGHT else day
        return begin, dt.datetime.combine(close_day, closes, tzinfo=self.zone)

    def intervals(self, after: dt.datetime) -> Iterator[Interval]:
        """Open intervals from `after` on (the first clipped to start at `after`), for at
        most two years."""
        after = after.astimezone(dt.UTC)
        day = after.astimezone(self.zone).date()
        for _day in range(_HORIZON_DAYS):
            for begin, end in self.periods(day):
                if end > after:
                    yield max(begin, after), end
            day += _DAY

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The moment `duration` of business time after `start` has passed."""
        remaining = duration
        for begin, end in self.intervals(start):
            if end - begin >= remaining:
                return begin + remaining
            remaining -= end - begin
        raise ValueError("The client's calendar has no business hours in the next two years.")

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Business time from `start` to `end` (zero when `end` is not later)."""
        total = dt.timedelta(0)
        if end <= start:
            return total
        for begin, finish in self.intervals(start):
            if begin >= end:
                break
            total += min(finish, end) - begin
        return total

    def is_open(self, at: dt.datetime) -> bool:
        return any(
            begin <= at < end for begin, end in self.periods(at.astimezone(self.zone).date())
        )


def _aware(moment: dt.datetime, name: str) -> dt.datetime:
    if timezone.is_naive(moment):
        raise ValueError(f"{name} must be timezone-aware.")
    return moment


def sla_due(*, client, start: dt.datetime, minutes: int) -> dt.datetime:
    """The moment `minutes` business minutes after `start` have passed (in UTC).

    A start outside business hours counts from the next opening.
    """
    start = _aware(start, "start")
    return Calendar.for_client(client, since=start).add(start, dt.timedelta(minutes=minutes))


def business_time_between(*, client, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """How much of the client's business time lies between two moments."""
    start, end = _aware(start, "start"), _aware(end, "end")
    return Calendar.for_client(client, since=start).between(start, end)


def sla_pause(*, ticket: Ticket, at: dt.datetime | None = None) -> Ticket:
    """Stop the ticket's SLA clock at `at` (now): it waits on the customer.

    Pausing a paused ticket changes nothing: the clock stopped when it first paused.
    """
    at = _aware(at or timezone.now(), "at")
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.sla_paused_at is None:
            locked.sla_paused_at = at
            locked.updated_at = timezone.now()
            locked._change_reason = "SLA clock paused"
            locked.save(update_fields=["sla_paused_at", "updated_at"])
    ticket.sla_paused_at, ticket.updated_at = locked.sla_paused_at, locked.updated_at
    return locked


def sla_resume(*, ticket: Ticket, at: dt.datetime | None = None) -> Ticket:
    """Start the clock again: the due time moves by the business time spent paused.

    Resuming a ticket that is not paused changes nothing.
    """
    at = _aware(at or timezone.now(), "at")
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        paused_at = locked.sla_paused_at
        if paused_at is not None:
            calendar = Calendar.for_client(locked.client, since=min(paused_at, locked.sla_due_at))
            waited = calendar.between(paused_at, at)
            if waited:
                locked.sla_due_at = calendar.add(locked.sla_due_at, waited)
            locked.sla_paused_at = None
            locked.updated_at = timezone.now()
            locked._change_reason = "SLA clock resumed"
            locked.save(update_fields=["sla_due_at", "sla_paused_at", "updated_at"])
    ticket.sla_due_at, ticket.sla_paused_at = locked.sla_due_at, locked.sla_paused_at
    ticket.updated_at = locked.updated_at
    return locked


def _duration(delta: dt.timedelta) -> str:
    """ "42 min", "3 h 5 min", "2 days 4 h": whole minutes, rounded down."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return _("less than a minute")
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if minutes:
            return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
        return _("%(hours)d h") % {"hours": hours}
    days, hours = divmod(hours, 24)
    days_text = ngettext("%(days)d day", "%(days)d days", days) % {"days": days}
    if hours:
        return _("%(days)s %(hours)d h") % {"days": days_text, "hours": hours}
    return days_text


class SlaClock(Protocol):
    """What `sla_status` reads: a ticket, or a queue row's raw values (tickets.selectors)."""

    @property
    def sla_due_at(self) -> dt.datetime: ...

    @property
    def sla_paused_at(self) -> dt.datetime | None: ...


def sla_status(ticket: SlaClock, now: dt.datetime) -> tuple[str, str]:
    """(status, text) for the queue and the ticket: ("due_soon", "due in 42 min").

    No queries: it reads `sla_due_at` and `sla_paused_at` only. While the clock is paused
    the time left is what was left when it stopped (wall-clock time to the due moment).
    """
    now = _aware(now, "now")
    if ticket.sla_paused_at is not None:
        left = ticket.sla_due_at - ticket.sla_paused_at
        if left <= dt.timedelta(0):
            return SlaStatus.BREACHED, _("breached; clock paused")
        status = SlaStatus.DUE_SOON if left <= DUE_SOON else SlaStatus.OK
        return status, _("clock paused, %(duration)s left") % {"duration": _duration(left)}
    return due_status(ticket.sla_due_at, now)


def due_status(due_at: dt.datetime, now: dt.datetime) -> tuple[str, str]:
    """(status, text) of a running clock due at `due_at`: ("breached", "breached 5 min
    ago"), ("due_soon", "due in 42 min") or ("ok", "due in 3 h"). No queries."""
    left = _aware(due_at, "due_at") - _aware(now, "now")
    if left <= dt.timedelta(0):
        return SlaStatus.BREACHED, _("breached %(duration)s ago") % {"duration": _duration(-left)}
    status = SlaStatus.DUE_SOON if left <= DUE_SOON else SlaStatus.OK
    return status, _("due in %(duration)s") % {"duration": _duration(left)}
