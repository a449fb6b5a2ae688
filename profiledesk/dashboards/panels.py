"""What every dashboard panel is: a chart, the table behind it (also its CSV) and links.

A panel function takes a `Scope` and returns a `Panel`; the page renders its chart (server
SVG, `templates/dashboards/_chart.html`), its table as the accessible alternative, and a
CSV download of the same rows. Nothing here queries: the figures modules fill panels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

Cell = str | int | float | None


@dataclass(frozen=True)
class Scope:
    """Whose figures and which days: `since` and `until` are the clients' local dates,
    both included; a day is a day in each client's own time zone (`zone` is the zone the
    page states, the one client's when one is chosen)."""

    client_ids: tuple[int, ...]
    since: date
    until: date
    zone: ZoneInfo


@dataclass(frozen=True)
class Point:
    label: str  # the category or the day ("2026-12-05")
    value: int | float | None  # None: nothing to measure (no ticket that day)
    href: str = ""  # the queue or history filtered to what this number counts


@dataclass(frozen=True)
class Series:
    name: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Panel:
    key: str  # a slug: the anchor on the page and the CSV's name
    title: str
    kind: str  # "bar" | "stacked" (bars of several series) | "line" | "numbers"
    series: tuple[Series, ...]
    columns: tuple[str, ...]  # the table's header, also the CSV's
    rows: tuple[tuple[Cell, ...], ...]  # the table, also the CSV
    unit: str = ""  # "tickets", "minutes", "%"
    note: str = ""  # one sentence under the chart ("median 42 min, p90 3 h 10 min")
    links: tuple[tuple[str, str], ...] = field(default=())  # (label, href) under the table


PanelFunction = Callable[[Scope], Panel]
