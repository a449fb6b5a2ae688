"""What every history panel shares: reading the daily table for a scope (one query), the
days of the range, exact medians and p90s, durations as text, and links to the queue.

Panels read only `DailyFigure` (and the scope's client names where a table names them):
never the tickets, so a panel costs the same at a thousand tickets as at a million.
"""

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import median as _median
from urllib.parse import urlencode

from django.db.models import TextChoices
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from profiledesk.clients.models import Client
from profiledesk.dashboards.models import DailyFigure
from profiledesk.dashboards.panels import Cell, Panel, Scope

_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Figure:
    client_id: int
    day: dt.date
    metric: str
    key1: str
    key2: str
    key3: str
    count: int
    durations: tuple[int, ...]


def read(scope: Scope, *metrics: str, durations: bool = False) -> list[Figure]:
    """The scope's figures of `metrics` (one query; none for a scope without clients)."""
    if not scope.client_ids or scope.since > scope.until:
        return []
    rows = (
        DailyFigure.objects.filter(
            metric__in=metrics,
            client_id__in=scope.client_ids,
            day__gte=scope.since,
            day__lte=scope.until,
        )
        .order_by()
        .values_list("client_id", "day", "metric", "key1", "key2", "key3", "count")
    )
    if not durations:
        return [Figure(*row, durations=()) for row in rows]
    return [
        Figure(*row[:7], durations=tuple(row[7]))
        for row in rows.values_list(
            "client_id", "day", "metric", "key1", "key2", "key3", "count", "durations"
        )
    ]


def several_clients(scope: Scope) -> bool:
    """Whether a table names the client of each row (a scope of one client does not)."""
    return len(scope.client_ids) > 1


def client_names(scope: Scope) -> dict[int, str]:
    """{client id: name} of the scope's clients (one query; none for a single client,
    whose tables do not name it)."""
    if not several_clients(scope):
        return {}
    return dict(Client.objects.filter(pk__in=scope.client_ids).values_list("pk", "name"))


def days(scope: Scope) -> list[dt.date]:
    count = (scope.until - scope.since).days + 1
    return [scope.since + n * _DAY for n in range(max(count, 0))]


# A longer range is charted by the week: a year of days is 365 bars nobody can read.
WEEKLY_AFTER_DAYS = 92


@dataclass(frozen=True)
class Period:
    label: str  # its first day, "2026-01-12"
    first: dt.date
    last: dt.date


@dataclass(frozen=True)
class Timeline:
    """The range's days, or its weeks (Monday to Sunday, the first and last cut to the
    range) when it is longer than WEEKLY_AFTER_DAYS."""

    periods: tuple[Period, ...]
    weekly: bool

    @property
    def labels(self) -> list[str]:
        return [period.label for period in self.periods]

    @property
    def column(self) -> str:
        return _("Week starting") if self.weekly else _("Day")

    def label_of(self, day: dt.date) -> str:
        if not self.weekly:
            return day.isoformat()
        first = self.periods[0].first if self.periods else day
        return max(day - dt.timedelta(days=day.weekday()), first).isoformat()

    def bounds(self, label: str) -> tuple[str, str]:
        period = next(p for p in self.periods if p.label == label)
        return period.first.isoformat(), period.last.isoformat()


def timeline(scope: Scope) -> Timeline:
    every = days(scope)
    if len(every) <= WEEKLY_AFTER_DAYS:
        return Timeline(periods=tuple(Period(d.isoformat(), d, d) for d in every), weekly=False)
    weeks: list[Period] = []
    for day in every:
        if weeks and day.weekday() != 0:
            weeks[-1] = Period(weeks[-1].label, weeks[-1].first, day)
        else:
            weeks.append(Period(day.isoformat(), day, day))
    return Timeline(periods=tuple(weeks), weekly=True)


def label(choices: type[TextChoices], value: str) -> str:
    """The choice's label, or the stored value when the table no longer knows it."""
    return str(choices(value).label) if value in choices.values else value


def percentile(values: Sequence[int], p: float) -> int | None:
    """The nearest-rank p-th percentile of sorted `values` (a value that occurred)."""
    if not values:
        return None
    rank = max(1, math.ceil(p / 100 * len(values)))
    return values[rank - 1]


def middle(values: Sequence[int]) -> float | None:
    """The median of `values` (the mean of the two middle ones for an even count)."""
    return float(_median(values)) if values else None


def merged(lists: Iterable[Iterable[int]]) -> list[int]:
    return sorted(value for values in lists for value in values)


def minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def rate(part: int, whole: int) -> float | None:
    """`part` of `whole` in per cent, one decimal; None when there is nothing to divide."""
    return round(100 * part / whole, 1) if whole else None


def duration_text(seconds: float | None) -> str:
    """ "42 min", "3 h 10 min", "2 days 4 h"; "less than a minute"."""
    if seconds is None:
        return "—"
    total = int(seconds // 60)
    if total < 1:
        return _("less than a minute")
    if total < 60:
        return _("%(minutes)d min") % {"minutes": total}
    hours, mins = divmod(total, 60)
    if hours < 24:
        if mins:
            return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": mins}
        return _("%(hours)d h") % {"hours": hours}
    whole_days, hours = divmod(hours, 24)
    text = ngettext("%(days)d day", "%(days)d days", whole_days) % {"days": whole_days}
    return _("%(days)s %(hours)d h") % {"days": text, "hours": hours} if hours else text


def queue_href(scope: Scope, **filters: str) -> str:
    """The queue filtered to `filters` (its form's names: state, channel, category, risk,
    sla, opened_since, opened_until), and to the client when the scope has one."""
    params: dict[str, str | int] = {}
    if len(scope.client_ids) == 1:
        params["client"] = scope.client_ids[0]
    params.update({name: value for name, value in filters.items() if value})
    return f"{reverse('tickets:queue')}?{urlencode(params)}"


def empty(key: str, title: str, kind: str, columns: tuple[str, ...], unit: str = "") -> Panel:
    """A panel with nothing to show: valid, no series and no rows (the page says so)."""
    return Panel(key=key, title=title, kind=kind, series=(), columns=columns, rows=(), unit=unit)


def row(*cells: Cell) -> tuple[Cell, ...]:
    return cells
