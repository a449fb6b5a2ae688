"""Throughput: tickets opened (on the day opened) and finished (on the day of the move),
and the time from intake to applied and to closed (on the day applied or closed)."""

from collections import defaultdict

from django.utils.translation import gettext as _

from profiledesk.dashboards.models import Metric
from profiledesk.dashboards.panels import Cell, Panel, Point, Scope, Series
from profiledesk.tickets.models import State

from .common import (
    duration_text,
    empty,
    merged,
    middle,
    minutes,
    percentile,
    queue_href,
    read,
    timeline,
)

MOVES = (State.APPLIED, State.REJECTED, State.CANCELLED, State.CLOSED, State.ROLLED_BACK)
CHARTED = (State.APPLIED, State.REJECTED, State.CANCELLED)
OPENED = "opened"


def throughput_by_day(scope: Scope) -> Panel:
    """Opened, applied, rejected, cancelled per day (closed and rolled back in the table).
    An "opened" point links to the queue filtered to the tickets opened that day (week)."""
    key, title = "throughput", _("Throughput per day")
    line = timeline(scope)
    columns = (
        line.column,
        _("Opened"),
        _("Applied"),
        _("Rejected"),
        _("Cancelled"),
        _("Closed"),
        _("Rolled back"),
    )
    figures = read(scope, Metric.OPENED, Metric.FINISHED)
    if not figures:
        return empty(key, title, "line", columns, _("tickets"))
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for figure in figures:
        what = OPENED if figure.metric == Metric.OPENED else figure.key1
        counts[(line.label_of(figure.day), what)] += figure.count
    labels = line.labels
    opened = Series(
        name=_("Opened"),
        points=tuple(
            Point(
                label=day,
                value=counts[(day, OPENED)],
                href=queue_href(
                    scope,
                    opened_since=line.bounds(day)[0],
                    opened_until=line.bounds(day)[1],
                ),
            )
            for day in labels
        ),
    )
    finished = tuple(
        Series(
            name=str(State(state).label),
            points=tuple(Point(label=day, value=counts[(day, state)]) for day in labels),
        )
        for state in CHARTED
    )
    rows: tuple[tuple[Cell, ...], ...] = tuple(
        (day, counts[(day, OPENED)], *(counts[(day, state)] for state in MOVES)) for day in labels
    )
    total_opened = sum(c for (_day, what), c in counts.items() if what == OPENED)
    total_applied = sum(c for (_day, what), c in counts.items() if what == State.APPLIED)
    return Panel(
        key=key,
        title=title,
        kind="line",
        series=(opened, *finished),
        columns=columns,
        rows=rows,
        unit=_("tickets"),
        note=_(
            "%(opened)d opened and %(applied)d applied in the range; a ticket counts as "
            "opened on the day it was opened and as applied on the day it was applied."
        )
        % {"opened": total_opened, "applied": total_applied},
        links=(
            (
                _("Tickets opened in the range"),
                queue_href(
                    scope,
                    opened_since=scope.since.isoformat(),
                    opened_until=scope.until.isoformat(),
                ),
            ),
        ),
    )


def time_to_done(scope: Scope) -> Panel:
    """Median and p90 from intake to applied and to closed, per day and over the range
    (exact: from every duration, not from the days' medians)."""
    key, title = "time-to-done", _("Time to applied and to closed")
    line = timeline(scope)
    columns = (
        line.column,
        _("Applied"),
        _("Median to applied (min)"),
        _("p90 to applied (min)"),
        _("Closed"),
        _("Median to closed (min)"),
        _("p90 to closed (min)"),
    )
    figures = [
        f
        for f in read(scope, Metric.FINISHED, durations=True)
        if f.key1 in (State.APPLIED, State.CLOSED)
    ]
    if not figures:
        return empty(key, title, "line", columns, _("minutes"))
    spans: dict[tuple[str, str], list[tuple[int, ...]]] = defaultdict(list)
    for figure in figures:
        spans[(line.label_of(figure.day), figure.key1)].append(figure.durations)
    labels = line.labels

    def stats(values: list[int]) -> tuple[int, float | None, float | None]:
        return len(values), minutes(middle(values)), minutes(percentile(values, 90))

    per_day = {
        (day, state): stats(merged(spans[(day, state)]))
        for day in labels
        for state in (State.APPLIED, State.CLOSED)
    }
    series = tuple(
        Series(
            name=name,
            points=tuple(Point(label=day, value=per_day[(day, state)][index]) for day in labels),
        )
        for state, index, name in (
            (State.APPLIED, 1, _("Median to applied")),
            (State.APPLIED, 2, _("p90 to applied")),
            (State.CLOSED, 1, _("Median to closed")),
            (State.CLOSED, 2, _("p90 to closed")),
        )
    )
    rows = [(day, *per_day[(day, State.APPLIED)], *per_day[(day, State.CLOSED)]) for day in labels]
    whole = {
        state: merged(v for (_day, s), lists in spans.items() if s == state for v in lists)
        for state in (State.APPLIED, State.CLOSED)
    }
    rows.append((_("Whole range"), *stats(whole[State.APPLIED]), *stats(whole[State.CLOSED])))
    note = _(
        "Over the range: to applied, median %(applied_median)s and p90 %(applied_p90)s; "
        "to closed, median %(closed_median)s and p90 %(closed_p90)s."
    ) % {
        "applied_median": duration_text(middle(whole[State.APPLIED])),
        "applied_p90": duration_text(percentile(whole[State.APPLIED], 90)),
        "closed_median": duration_text(middle(whole[State.CLOSED])),
        "closed_p90": duration_text(percentile(whole[State.CLOSED], 90)),
    }
    return Panel(
        key=key,
        title=title,
        kind="line",
        series=series,
        columns=columns,
        rows=tuple(rows),
        unit=_("minutes"),
        note=note,
    )
