"""SLA clocks on the client's calendar: business hours in its time zone, minus holidays."""

import datetime as dt
from zoneinfo import ZoneInfo

from .models import BusinessHours, Holiday


def sla_due(*, client, start: dt.datetime, minutes: int) -> dt.datetime:
    """The moment `minutes` business minutes after `start` have passed."""
    zone = ZoneInfo(client.time_zone)
    hours: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for period in BusinessHours.objects.filter(client=client):
        hours.setdefault(period.weekday, []).append((period.opens, period.closes))
    if not hours:  # no calendar: the clock runs round the clock
        return start + dt.timedelta(minutes=minutes)
    holidays = set(
        Holiday.objects.filter(client=client, date__gte=start.date()).values_list("date", flat=True)
    )
    remaining = dt.timedelta(minutes=minutes)
    cursor = start.astimezone(zone)
    for _ in range(366 * 2):  # at most two years of days
        day = cursor.date()
        if day not in holidays:
            for opens, closes in sorted(hours.get(day.weekday(), [])):
                begin = max(cursor, dt.datetime.combine(day, opens, zone))
                end = dt.datetime.combine(day, closes, zone)
                if begin >= end:
                    continue
                if end - begin >= remaining:
                    return (begin + remaining).astimezone(dt.UTC)
                remaining -= end - begin
        cursor = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)
    raise ValueError("The client's calendar has no business hours in the next two years.")
