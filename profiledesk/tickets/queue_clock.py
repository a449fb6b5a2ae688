"""The queue's clock texts, kept moving by the browser (issue 20).

A queue row prints two texts that change with the time alone: its SLA ("due in 42 min",
"breached 5 min ago") and its age ("3 hours"). Rendered by the server only, they made the
list new every minute, so the background refresh of every agent on a floor rendered its
list again after each minute boundary. Now the rows carry the instants those texts are
worked out from (`data-at`, microseconds since the epoch, exact in a JavaScript number),
the list carries the words in the page's language (`data-clock-words`), and
`static/desk/clock.js` works the same texts out between refreshes, to the minute, as
`policies.sla.sla_status` and `tickets.selectors.ticket_age` do (a test runs both over the
same instants). The list's rows validator then names the SLA *bands* of its rows (on time, due
soon, breached: they colour the badges) rather than the minute — which tickets a list
filtered by SLA or age holds is in its fingerprint, read as of the minute — and an
unchanged list stays a 304 across minutes.
"""

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from types import SimpleNamespace

from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from profiledesk.policies.sla import DUE_SOON, sla_status

from .selectors import FINGERPRINT_COLUMNS

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
ZERO = dt.timedelta(0)
MINUTE = dt.timedelta(minutes=1)
_DUE = FINGERPRINT_COLUMNS.index("sla_due_at")
_PAUSED = FINGERPRINT_COLUMNS.index("sla_paused_at")


def epoch_us(moment: dt.datetime) -> int:
    """An aware datetime as whole microseconds since the epoch: what the browser counts
    from (below 2**53 until the year 2255, so exact as a JavaScript number)."""
    return (moment - _EPOCH) // dt.timedelta(microseconds=1)


def printed_bands(rows: Iterable[Sequence[object]], now: dt.datetime) -> tuple[str, ...]:
    """The SLA band of each fingerprint row at `now` (FINGERPRINT_COLUMNS tuples), as
    `sla_status` decides it for the row's badge."""
    return tuple(
        sla_status(SimpleNamespace(sla_due_at=row[_DUE], sla_paused_at=row[_PAUSED]), now)[0]
        for row in rows
    )


def _forms(singular: str, plural: str) -> list[str]:
    """A plural message's two forms in the current language. The browser picks the first
    for 1 and the second otherwise; `test_queue_clock` proves that this is what ngettext
    gives in every language the desk speaks (one with other plural rules fails it)."""
    return [ngettext(singular, plural, 1), ngettext(singular, plural, 2)]


# Django's timesince units (django.utils.timesince.TIME_STRINGS: the same msgids, so the
# same translations; a test compares them for every count).
AGE_UNITS = {
    "year": ("%(num)d year", "%(num)d years"),
    "month": ("%(num)d month", "%(num)d months"),
    "week": ("%(num)d week", "%(num)d weeks"),
    "day": ("%(num)d day", "%(num)d days"),
    "hour": ("%(num)d hour", "%(num)d hours"),
    "minute": ("%(num)d minute", "%(num)d minutes"),
}


def clock_words() -> dict[str, object]:
    """The words the browser builds the texts from, in the current language: the
    messages `policies.sla` and Django's `timesince` translate."""
    return {
        "dueSoonUs": DUE_SOON // dt.timedelta(microseconds=1),
        "breached": _("breached %(duration)s ago"),
        "dueIn": _("due in %(duration)s"),
        "underMinute": _("less than a minute"),
        "minutes": _("%(minutes)d min"),
        "hoursMinutes": _("%(hours)d h %(minutes)d min"),
        "hours": _("%(hours)d h"),
        "days": _forms("%(days)d day", "%(days)d days"),
        "daysHours": _("%(days)s %(hours)d h"),
        "age": {unit: _forms(*msgids) for unit, msgids in AGE_UNITS.items()},
        "updatedAt": _("updated at %(time)s"),
    }


def clock_words_json() -> str:
    """`clock_words` for the list's `data-clock-words` attribute (escaped by the
    template like any other value)."""
    return json.dumps(clock_words(), ensure_ascii=False, separators=(",", ":"))


_MONTH_AT_LEAST = dt.timedelta(days=28)


class ClockTexts:
    """`sla_status` and `ticket_age` for the many rows of one page, as of one minute. Each
    call translates two or three messages (~400 gettext calls a queue page); here a text
    is worked out once for what decides it and reused by the rows that share it: the SLA's
    (paused, breached, due soon, whole minutes left), an age under 28 days by its whole
    minutes (no calendar month fits in it, so timesince counts fixed weeks, days, hours and
    minutes). One page, one language: make a new one a page."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self._sla: dict[tuple, tuple[str, str]] = {}
        self._age: dict[int, str] = {}

    def sla(self, due: dt.datetime, paused: dt.datetime | None) -> tuple[str, str]:
        left = due - (paused if paused is not None else self.now)
        key = (paused is not None, left <= ZERO, left <= DUE_SOON, abs(left) // MINUTE)
        found = self._sla.get(key)
        if found is None:
            clock = SimpleNamespace(sla_due_at=due, sla_paused_at=paused)
            band, text = sla_status(clock, self.now)
            found = self._sla[key] = (str(band), str(text))
        return found

    def age(self, created: dt.datetime) -> str:
        since = self.now - created
        if not ZERO < since < _MONTH_AT_LEAST:
            return timesince(created, self.now, depth=1)
        key = since // MINUTE
        found = self._age.get(key)
        if found is None:
            found = self._age[key] = timesince(created, self.now, depth=1)
        return found
