"""The compliance view's own panels: reveals of masked data (per day, and per staff
member), rollbacks, verification waivers, exports, "this wasn't me" reports and freezes.

Counted straight from `audit.AuditEvent`, not from the daily figures: these events are
rare next to tickets, and an indexed query bounded by client, action and time
(`audit_client_action_at`, audit migration 0004) answers in two queries a panel — the
clients' time zones, then the counts grouped by client day — whatever the number of
events or clients (tests/dashboards/test_compliance_queries.py). A day is the client's
own: an event counts on the local date of its `created_at` in its client's time zone.

Every number links to the audit-events list (`audit:events`) filtered to the same
actions, clients and days (`audit.events.local_days` is the one filter both use), so a
number is exactly the rows its link lists.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, DateField, QuerySet, When
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from audit.actions import EXPORTS, FREEZES, REPORTS, REVEALS, ROLLBACKS, WAIVERS
from audit.events import events_url, local_days, zone_of
from audit.models import AuditEvent
from profiledesk.accounts.naming import staff_name_of
from profiledesk.clients.models import Client

from .panels import Cell, Panel, PanelFunction, Point, Scope, Series


def _zones(scope: Scope) -> dict[int, ZoneInfo]:
    """Query 1 of a panel: each client's time zone."""
    found = Client.objects.filter(pk__in=scope.client_ids).values_list("pk", "time_zone")
    return {pk: zone_of(time_zone) for pk, time_zone in found}


def _local_day(zones: dict[int, ZoneInfo]) -> Case:
    """`created_at` as the date in its client's zone: one branch a time zone."""
    by_zone: dict[str, list[int]] = defaultdict(list)
    for client_id, zone in zones.items():
        by_zone[zone.key].append(client_id)
    return Case(
        *(
            When(client_id__in=sorted(ids), then=TruncDate("created_at", tzinfo=ZoneInfo(key)))
            for key, ids in sorted(by_zone.items())
        ),
        output_field=DateField(),
    )


def _days(scope: Scope) -> list[dt.date]:
    count = (scope.until - scope.since).days + 1
    return [scope.since + dt.timedelta(days=i) for i in range(max(count, 0))]


def daily_counts_query(
    zones: dict[int, ZoneInfo], scope: Scope, actions: Sequence[str]
) -> QuerySet[AuditEvent, Any]:
    """The counts by action and client day: one range a time zone on the index
    (client, action, created_at)."""
    return (
        AuditEvent.objects.filter(local_days(zones, scope.since, scope.until))
        .filter(action__in=list(actions))
        .annotate(day=_local_day(zones))
        .values("action", "day")
        .annotate(n=Count("id"))
        .order_by()
    )


def daily_counts(scope: Scope, actions: Sequence[str]) -> dict[tuple[str, dt.date], int]:
    """{(action, client-local day): events} of the scope's clients and days: 2 queries."""
    zones = _zones(scope)
    if not zones or not actions:
        return {}
    rows = daily_counts_query(zones, scope, actions)
    counts: dict[tuple[str, dt.date], int] = defaultdict(int)
    for row in rows:
        day = row["day"]
        if isinstance(day, str):  # SQLite may hand the date back as text
            day = dt.date.fromisoformat(day)
        counts[(row["action"], day)] += row["n"]
    return dict(counts)


@dataclass(frozen=True)
class _Line:
    label: str
    actions: tuple[str, ...]


def _per_day_panel(
    scope: Scope, *, key: str, title: str, kind: str, lines: Sequence[_Line]
) -> Panel:
    every = tuple(action for line in lines for action in line.actions)
    counts = daily_counts(scope, every)
    days = _days(scope)
    table: list[list[Cell]] = [[day.isoformat()] for day in days]
    series = []
    total = 0
    for line in lines:
        points = []
        for i, day in enumerate(days):
            value = sum(counts.get((action, day), 0) for action in line.actions)
            total += value
            table[i].append(value)
            href = (
                events_url(client_ids=scope.client_ids, actions=line.actions, since=day, until=day)
                if value
                else ""
            )
            points.append(Point(label=day.isoformat(), value=value, href=href))
        series.append(Series(name=line.label, points=tuple(points)))
    return Panel(
        key=key,
        title=title,
        kind=kind,
        series=tuple(series),
        columns=(_("Day"), *(line.label for line in lines)),
        rows=tuple(tuple(row) for row in table),
        unit=_("events"),
        note=_("%(total)d in these days; each day is the client's own, in its time zone.")
        % {"total": total},
        links=(
            (
                _("Every one of these events in the audit log"),
                events_url(
                    client_ids=scope.client_ids,
                    actions=every,
                    since=scope.since,
                    until=scope.until,
                ),
            ),
        ),
    )


def _reveal_lines() -> list[_Line]:
    labels = {
        "customer.sensitive_revealed": _("On the customer's page"),
        "history.value_revealed": _("On the history page"),
        "verification.details_revealed": _("On a verified ticket"),
    }
    return [_Line(labels[action], (action,)) for action in REVEALS]


def reveals_per_day(scope: Scope) -> Panel:
    """Masked values revealed per day, by where they were revealed."""
    return _per_day_panel(
        scope,
        key="compliance-reveals",
        title=_("Masked data revealed"),
        kind="stacked",
        lines=_reveal_lines(),
    )


def reveals_by_staff(scope: Scope) -> Panel:
    """Who revealed masked data in these days, and how often: 2 queries."""
    zones = _zones(scope)
    rows = []
    if zones:
        rows = list(
            AuditEvent.objects.filter(local_days(zones, scope.since, scope.until))
            .filter(action__in=REVEALS)
            .values(
                "action",
                "actor_id",
                "actor_username",
                "actor__username",
                "actor__first_name",
                "actor__last_name",
            )
            .annotate(n=Count("id"))
            .order_by()
        )
    people: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    names: dict[int | None, str] = {}
    for row in rows:
        actor: int | None = row["actor_id"]
        people[actor][row["action"]] += row["n"]
        names[actor] = (
            staff_name_of(
                username=row["actor__username"] or "",
                first_name=row["actor__first_name"] or "",
                last_name=row["actor__last_name"] or "",
            )
            if actor is not None
            else row["actor_username"] or _("the desk (no staff member)")
        )
    order = sorted(people, key=lambda a: (-sum(people[a].values()), names[a].lower(), a or 0))
    lines = _reveal_lines()
    table: list[tuple[Cell, ...]] = []
    links: list[tuple[str, str]] = []
    for actor in order:
        per_action = [people[actor].get(line.actions[0], 0) for line in lines]
        total = sum(per_action)
        table.append((names[actor], *per_action, total))
        if actor is not None:
            links.append(
                (
                    _("%(name)s: %(count)d reveals") % {"name": names[actor], "count": total},
                    _staff_url(scope, actor, REVEALS),
                )
            )
    series = tuple(
        Series(
            name=line.label,
            points=tuple(
                Point(
                    label=names[actor],
                    value=people[actor].get(line.actions[0], 0),
                    href=_staff_url(scope, actor, line.actions)
                    if actor is not None and people[actor].get(line.actions[0])
                    else "",
                )
                for actor in order
            ),
        )
        for line in lines
    )
    return Panel(
        key="compliance-reveals-by-staff",
        title=_("Masked data revealed, by staff member"),
        kind="stacked",
        series=series,
        columns=(_("Staff member"), *(line.label for line in lines), _("Total")),
        rows=tuple(table),
        unit=_("reveals"),
        note=_("Each reveal is recorded with who, when, which field and why; never the value."),
        links=tuple(links),
    )


def _staff_url(scope: Scope, actor: int, actions: Sequence[str]) -> str:
    return events_url(
        client_ids=scope.client_ids,
        actions=actions,
        actor_id=actor,
        since=scope.since,
        until=scope.until,
    )


def rollbacks_per_day(scope: Scope) -> Panel:
    return _per_day_panel(
        scope,
        key="compliance-rollbacks",
        title=_("Rollbacks"),
        kind="line",
        lines=[
            _Line(_("Requested"), (ROLLBACKS[0],)),
            _Line(_("Applied"), (ROLLBACKS[1],)),
        ],
    )


def waivers_per_day(scope: Scope) -> Panel:
    return _per_day_panel(
        scope,
        key="compliance-waivers",
        title=_("Verification waivers (rollback tickets)"),
        kind="bar",
        lines=[_Line(_("Waivers"), WAIVERS)],
    )


def exports_per_day(scope: Scope) -> Panel:
    return _per_day_panel(
        scope,
        key="compliance-exports",
        title=_("Evidence exports"),
        kind="line",
        lines=[
            _Line(_("Requested"), (EXPORTS[0],)),
            _Line(_("Downloaded"), (EXPORTS[1],)),
        ],
    )


def reports_and_freezes_per_day(scope: Scope) -> Panel:
    return _per_day_panel(
        scope,
        key="compliance-reports-freezes",
        title=_("\u201cThis wasn\u2019t me\u201d reports and freezes"),
        kind="line",
        lines=[
            _Line(_("Reports"), REPORTS),
            _Line(_("Profiles frozen"), (FREEZES[0],)),
            _Line(_("Freezes lifted"), (FREEZES[1],)),
        ],
    )


COMPLIANCE_PANELS: list[PanelFunction] = [
    reveals_per_day,
    reveals_by_staff,
    rollbacks_per_day,
    waivers_per_day,
    exports_per_day,
    reports_and_freezes_per_day,
]
