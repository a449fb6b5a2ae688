"""A panel's chart as server-rendered SVG geometry (`templates/dashboards/_chart.html`).

No JavaScript and no `style=` (the CSP): this computes where every bar, line, label and
legend entry goes in a fixed viewBox, so the chart scales with its box (1366×768, 200 %
zoom); the template writes the SVG attributes. Colour is never the only signal: each
series has its own fill pattern (bars) or marker shape and dash (lines), named in the
legend, and every value is printed on or beside its bar. A bar with a `Point.href` is a
link whose accessible name says what it counts and where it goes.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .panels import Panel, Point

WIDTH = 720
PLOT_HEIGHT = 220
LEFT = 56  # the y axis' numbers
RIGHT = 16
TOP_GAP = 34  # the values printed above the tallest bar (upwards when narrow)
BOTTOM = 34  # the x axis' labels
LEGEND_ROW = 22
MAX_X_LABELS = 12
CHAR_WIDTH = 7.0  # an estimate of a 12-unit font's average character, to lay the legend out

# Dark enough on white for a graphic's 3:1 (WCAG 1.4.11); the patterns tell them apart.
PALETTE = ("#1f5fa8", "#a64d00", "#2e7d32", "#6a3d9a", "#b0003a", "#455a64")
PATTERNS = ("solid", "stripes", "dots", "crosshatch", "horizontal", "vertical")
MARKERS = ("circle", "square", "triangle", "diamond", "cross", "bar")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "4 4", "1 2")

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Style:
    """How one series is drawn: colour, fill pattern (bars), marker and dash (lines)."""

    index: int
    colour: str
    pattern: str
    pattern_id: str
    marker: str
    dash: str

    @property
    def fill(self) -> str:
        return self.colour if self.pattern == "solid" else f"url(#{self.pattern_id})"


@dataclass(frozen=True)
class Mark:
    """A bar (or a stacked segment) or a line's marker, with its printed value."""

    x: float
    y: float
    width: float
    height: float
    style: Style
    value_text: str
    text_x: float
    text_y: float
    text_vertical: bool  # printed upwards when the bar is too narrow for it
    text_inside: bool  # on a stacked segment: white text inside the bar
    name: str  # the accessible name (the link's aria-label, the mark's title)
    href: str
    marker_path: str = ""  # lines: the marker's SVG path


@dataclass(frozen=True)
class Line:
    points: str  # "x,y x,y …" for <polyline>
    style: Style


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class Label:
    x: float
    text: str
    lines: tuple[str, ...]  # the text wrapped to its slot (at most two lines)


@dataclass(frozen=True)
class LegendEntry:
    x: float
    y: float
    name: str
    style: Style


@dataclass(frozen=True)
class Chart:
    kind: str
    width: int
    height: int
    plot_top: float
    plot_bottom: float
    plot_left: float
    plot_right: float
    styles: tuple[Style, ...]
    marks: tuple[Mark, ...]
    lines: tuple[Line, ...]
    ticks: tuple[Tick, ...]
    labels: tuple[Label, ...]
    legend: tuple[LegendEntry, ...]
    totals: tuple[Mark, ...]  # stacked: each stack's total above it (no link)
    title: str
    has_links: bool

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def day_label(label: str) -> str:
    """ "2026-12-03" → "3 Dec"; any other label as it is."""
    if _DAY.match(label):
        try:
            return date_format(dt.date.fromisoformat(label), "j M")
        except ValueError:
            return label
    return label


def wrap(text: str, width: float) -> tuple[str, ...]:
    """`text` in at most two lines of about `width` units (words kept whole; a word longer
    than a line, and a third line, shortened with "…": the table and the bar's name hold
    the whole label)."""
    limit = max(int(width / CHAR_WIDTH), 4)
    lines: list[str] = []
    for word in text.split():
        if len(word) > limit:
            word = word[: limit - 1] + "…"
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > 2:
        lines = [lines[0], lines[1][: limit - 1] + "…"]
    return tuple(lines) or ("",)


def value_text(value: int | float | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def axis_steps(top_value: float, *, whole: bool) -> tuple[float, int]:
    """(step, count): gridlines every 1, 2, 2.5 or 5 times a power of ten, about four of
    them, the last at or above `top_value`; whole numbers (counts) get whole steps."""
    top_value = max(top_value, 1.0)
    raw = top_value / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if whole:
        step = float(max(1, math.ceil(step)))
    return step, max(1, math.ceil(top_value / step - 1e-9))


def _styles(panel: Panel) -> tuple[Style, ...]:
    slug = re.sub(r"[^a-z0-9-]", "-", panel.key.lower())
    return tuple(
        Style(
            index=i,
            colour=PALETTE[i % len(PALETTE)],
            pattern=PATTERNS[i % len(PATTERNS)],
            pattern_id=f"pd-{slug}-{i}",
            marker=MARKERS[i % len(MARKERS)],
            dash=DASHES[i % len(DASHES)],
        )
        for i in range(len(panel.series))
    )


def accessible_name(
    *, series: str, label: str, value: int | float | None, unit: str, href: str
) -> str:
    """ "Breached, 3 Dec: 12 tickets — open the tickets behind it" """
    amount = value_text(value) + (f" {unit}" if unit and value is not None else "")
    name = f"{series}, {day_label(label)}: {amount}"
    return f"{name} — {_('open the tickets behind it')}" if href else name


def _legend(styles: tuple[Style, ...], names: list[str], top: float) -> tuple[LegendEntry, ...]:
    entries, x, y = [], float(LEFT), top
    for style, name in zip(styles, names, strict=True):
        width = 22 + CHAR_WIDTH * len(name) + 18
        if x + width > WIDTH - RIGHT and x > LEFT:
            x, y = float(LEFT), y + LEGEND_ROW
        entries.append(LegendEntry(x=x, y=y, name=name, style=style))
        x += width
    return tuple(entries)


def _marker_path(shape: str, x: float, y: float, r: float = 5) -> str:
    if shape == "circle":
        return f"M{x - r},{y} a{r},{r} 0 1,0 {2 * r},0 a{r},{r} 0 1,0 {-2 * r},0 Z"
    if shape == "square":
        return f"M{x - r},{y - r} h{2 * r} v{2 * r} h{-2 * r} Z"
    if shape == "triangle":
        return f"M{x},{y - r - 1} L{x + r + 1},{y + r} L{x - r - 1},{y + r} Z"
    if shape == "diamond":
        return f"M{x},{y - r - 1} L{x + r + 1},{y} L{x},{y + r + 1} L{x - r - 1},{y} Z"
    if shape == "cross":
        return f"M{x - r},{y - r} L{x + r},{y + r} M{x - r},{y + r} L{x + r},{y - r}"
    return f"M{x - r},{y - 2} h{2 * r} v4 h{-2 * r} Z"


def chart_for(panel: Panel) -> Chart | None:
    """The chart of a bar, stacked or line panel; None for "numbers" (the table says it)."""
    if panel.kind not in ("bar", "stacked", "line") or not panel.series:
        return None
    styles = _styles(panel)
    labels = [p.label for p in panel.series[0].points]
    for series in panel.series[1:]:
        for extra in series.points:
            if extra.label not in labels:
                labels.append(extra.label)
    by_series: list[dict[str, Point]] = [{p.label: p for p in s.points} for s in panel.series]
    n = max(len(labels), 1)

    legend_top = 8.0
    legend = _legend(styles, [s.name for s in panel.series], legend_top)
    rows = 1 + (int((legend[-1].y - legend_top) / LEGEND_ROW) if legend else 0)
    plot_top = legend_top + rows * LEGEND_ROW + TOP_GAP
    plot_bottom = plot_top + PLOT_HEIGHT
    height = int(plot_bottom + BOTTOM)
    left, right = float(LEFT), float(WIDTH - RIGHT)
    slot = (right - left) / n

    def number(point: Point | None) -> float:
        return float(point.value) if point is not None and point.value is not None else 0.0

    if panel.kind == "stacked":
        top_value = max(
            (sum(number(s.get(label)) for s in by_series) for label in labels), default=0.0
        )
    else:
        top_value = max((number(s.get(label)) for s in by_series for label in labels), default=0.0)
    whole = all(isinstance(p.value, int) or p.value is None for s in panel.series for p in s.points)
    step, steps = axis_steps(top_value, whole=whole)
    axis_top = step * steps

    def y_of(value: float) -> float:
        return plot_bottom - (value / axis_top) * PLOT_HEIGHT

    ticks = tuple(Tick(y=y_of(step * i), text=value_text(step * i)) for i in range(steps + 1))
    every = math.ceil(n / MAX_X_LABELS)
    x_labels = tuple(
        Label(
            x=left + slot * (i + 0.5),
            text=day_label(label),
            lines=wrap(day_label(label), slot * every * 0.95),
        )
        for i, label in enumerate(labels)
        if i % every == 0
    )
    if any(len(label.lines) > 1 for label in x_labels):
        height += 14  # room for the second line

    marks: list[Mark] = []
    totals: list[Mark] = []
    lines: list[Line] = []
    vertical = slot < 30
    if panel.kind == "line":
        for s_index, (series, style) in enumerate(zip(panel.series, styles, strict=True)):
            coords = []
            for i, label in enumerate(labels):
                point = by_series[s_index].get(label)
                if point is None or point.value is None:
                    continue
                x, y = left + slot * (i + 0.5), y_of(float(point.value))
                coords.append(f"{x:.1f},{y:.1f}")
                marks.append(
                    Mark(
                        x=x, y=y, width=0, height=0, style=style,
                        value_text=value_text(point.value) if n <= 16 else "",
                        text_x=x, text_y=y - 9, text_vertical=False, text_inside=False,
                        name=accessible_name(
                            series=series.name, label=label, value=point.value,
                            unit=panel.unit, href=point.href,
                        ),
                        href=point.href,
                        marker_path=_marker_path(style.marker, x, y),
                    )
                )  # fmt: skip
            lines.append(Line(points=" ".join(coords), style=style))
    elif panel.kind == "stacked":
        width = max(slot * 0.7, 2.0)
        for i, label in enumerate(labels):
            x = left + slot * i + (slot - width) / 2
            base = 0.0
            for s_index, (series, style) in enumerate(zip(panel.series, styles, strict=True)):
                point = by_series[s_index].get(label)
                value = number(point)
                if point is None or value <= 0:
                    continue
                y0, y1 = y_of(base + value), y_of(base)
                tall = (y1 - y0) >= 14 and width >= 22
                marks.append(
                    Mark(
                        x=x, y=y0, width=width, height=y1 - y0, style=style,
                        value_text=value_text(point.value) if tall else "",
                        text_x=x + width / 2, text_y=(y0 + y1) / 2 + 4,
                        text_vertical=False, text_inside=True,
                        name=accessible_name(
                            series=series.name, label=label, value=point.value,
                            unit=panel.unit, href=point.href,
                        ),
                        href=point.href,
                    )
                )  # fmt: skip
                base += value
            total = sum(number(s.get(label)) for s in by_series)
            totals.append(
                Mark(
                    x=x, y=y_of(total), width=width, height=0, style=styles[0],
                    value_text=value_text(total), text_x=x + width / 2,
                    text_y=y_of(total) - (6 if not vertical else 4),
                    text_vertical=vertical, text_inside=False,
                    name="", href="",
                )
            )  # fmt: skip
    else:
        group = slot * 0.8
        width = max(group / len(panel.series), 2.0)
        for i, label in enumerate(labels):
            for s_index, (series, style) in enumerate(zip(panel.series, styles, strict=True)):
                point = by_series[s_index].get(label)
                if point is None:
                    continue
                value = number(point)
                x = left + slot * i + (slot - group) / 2 + width * s_index
                y = y_of(value)
                narrow = width < 30
                marks.append(
                    Mark(
                        x=x, y=y, width=width, height=plot_bottom - y, style=style,
                        value_text=value_text(point.value), text_x=x + width / 2,
                        text_y=y - (4 if narrow else 6), text_vertical=narrow,
                        text_inside=False,
                        name=accessible_name(
                            series=series.name, label=label, value=point.value,
                            unit=panel.unit, href=point.href,
                        ),
                        href=point.href,
                    )
                )  # fmt: skip
    return Chart(
        kind=panel.kind,
        width=WIDTH,
        height=height,
        plot_top=plot_top,
        plot_bottom=plot_bottom,
        plot_left=left,
        plot_right=right,
        styles=styles,
        marks=tuple(marks),
        lines=tuple(lines),
        ticks=ticks,
        labels=x_labels,
        legend=legend,
        totals=tuple(totals),
        title=panel.title,
        has_links=any(mark.href for mark in marks),
    )
