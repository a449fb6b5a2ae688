"""Small builders for the policies tests: client calendars and tickets with items."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from profiledesk.policies.models import BusinessHours, Holiday
from profiledesk.tickets.models import ChangeItem, Ticket

LONDON = ZoneInfo("Europe/London")
MADRID = ZoneInfo("Europe/Madrid")

WEEKDAYS = range(5)
EVERY_DAY = range(7)


def at(zone: ZoneInfo, text: str) -> dt.datetime:
    """at(LONDON, "2026-06-02 09:00"): that wall-clock time in that zone."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=zone)


# The risk tests' clock: a Tuesday morning, when Northwind's desk is open.
TUESDAY_MORNING = at(LONDON, "2026-06-02 10:00")


def hours(client, *periods: tuple[str, str], days=WEEKDAYS) -> None:
    """Open `client` on `days` for each (opens, closes) period, e.g. ("08:00", "20:00")."""
    for day in days:
        for opens, closes in periods:
            BusinessHours.objects.create(
                client=client,
                weekday=day,
                opens=dt.time.fromisoformat(opens),
                closes=dt.time.fromisoformat(closes),
            )


def holiday(client, date: str, name: str = "Holiday") -> Holiday:
    return Holiday.objects.create(client=client, date=dt.date.fromisoformat(date), name=name)


def make_ticket(
    client,
    *,
    customer=None,
    items: list[tuple[str, str, str]] = (),
    category: str = "contact",
    created_at: dt.datetime | None = None,
    sla_due_at: dt.datetime | None = None,
) -> Ticket:
    """A ticket with change items given as (section, field, new value); billing values
    are vault tokens, as the desk stores them."""
    now = created_at or timezone.now()
    ticket = Ticket.objects.create(
        client=client,
        customer=customer,
        channel="phone",
        category=category,
        sla_due_at=sla_due_at or now + dt.timedelta(hours=2),
        created_at=now,
        updated_at=now,
    )
    for position, (section, field, value) in enumerate(items):
        ChangeItem.objects.create(
            ticket=ticket,
            position=position,
            section=section,
            field=field,
            label=field,
            new_value=value,
            new_display=value,
            is_secret=section == "billing",
        )
    ticket.reference = f"PD-{ticket.pk:06d}"
    ticket.save(update_fields=["reference"])
    return ticket
