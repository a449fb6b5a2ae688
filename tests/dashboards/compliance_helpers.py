"""Audit events at chosen moments, and a scope over days, for the compliance panels."""

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from audit.services import audit_record
from profiledesk.dashboards.panels import Panel, Scope


def event_at(at: dt.datetime, action: str, *, client, actor=None, target=None, data=None):
    """An audit event recorded through the one writer, as if at `at`."""
    with time_machine.travel(at, tick=False):
        return audit_record(action=action, actor=actor, client=client, target=target, data=data)


def scope_of(*clients, since: dt.date, until: dt.date, zone: str = "UTC") -> Scope:
    return Scope(
        client_ids=tuple(c.pk for c in clients), since=since, until=until, zone=ZoneInfo(zone)
    )


def by_day(panel: Panel, series: int = 0) -> dict[str, int | float | None]:
    return {p.label: p.value for p in panel.series[series].points}


def nonzero(panel: Panel, series: int = 0) -> dict[str, int | float | None]:
    return {label: value for label, value in by_day(panel, series).items() if value}
