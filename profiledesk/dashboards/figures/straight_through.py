"""Straight-through processing: of the tickets applied each day, how many the desk applied
by itself (profiledesk/automation) — the rest an agent applied."""

from collections import defaultdict

from django.utils.translation import gettext as _

from profiledesk.dashboards.models import Metric
from profiledesk.dashboards.panels import Cell, Panel, Point, Scope, Series
from profiledesk.tickets.models import State

from .common import empty, rate, read, timeline

AUTOMATIC = "automatic"


def straight_through_by_day(scope: Scope) -> Panel:
    """Tickets applied automatically / tickets applied, per day, in per cent."""
    key, title = "straight-through", _("Straight-through rate per day")
    line = timeline(scope)
    columns = (line.column, _("Applied"), _("Applied automatically"), _("% straight through"))
    figures = read(scope, Metric.FINISHED, Metric.STRAIGHT_THROUGH)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for figure in figures:
        if figure.metric == Metric.STRAIGHT_THROUGH:
            counts[(line.label_of(figure.day), AUTOMATIC)] += figure.count
        elif figure.key1 == State.APPLIED:
            counts[(line.label_of(figure.day), State.APPLIED)] += figure.count
    if not counts:
        return empty(key, title, "line", columns, "%")
    labels = line.labels
    series = (
        Series(
            name=_("% straight through"),
            points=tuple(
                Point(label=day, value=rate(counts[(day, AUTOMATIC)], counts[(day, State.APPLIED)]))
                for day in labels
            ),
        ),
    )
    rows: tuple[tuple[Cell, ...], ...] = tuple(
        (
            day,
            counts[(day, State.APPLIED)],
            counts[(day, AUTOMATIC)],
            rate(counts[(day, AUTOMATIC)], counts[(day, State.APPLIED)]),
        )
        for day in labels
    )
    applied = sum(c for (_day, what), c in counts.items() if what == State.APPLIED)
    automatic = sum(c for (_day, what), c in counts.items() if what == AUTOMATIC)
    return Panel(
        key=key,
        title=title,
        kind="line",
        series=series,
        columns=columns,
        rows=rows,
        unit="%",
        note=_(
            "%(automatic)d of %(applied)d tickets applied in the range were applied "
            "automatically, without an agent (%(rate)s %%)."
        )
        % {"automatic": automatic, "applied": applied, "rate": rate(automatic, applied)},
    )
