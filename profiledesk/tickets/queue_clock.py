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

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from profiledesk.policies.sla import DUE_SOON, sla_status

from .selectors import FINGERPRINT_COLUMNS

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
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
