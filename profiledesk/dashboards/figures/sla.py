"""SLA: met vs breached, counted on the local day each ticket was due (build.sla_outcome)."""

from collections import defaultdict

from django.utils.translation import gettext as _

from profiledesk.dashboards.build import Sla
from profiledesk.dashboards.models import Metric
from profiledesk.dashboards.panels import Panel, Point, Scope, Series
from profiledesk.policies.categories import Category
from profiledesk.tickets.models import Channel

from .common import (
    client_names,
    empty,
    label,
    queue_href,
    rate,
    read,
    several_clients,
    timeline,
)

OUTCOMES = (Sla.MET, Sla.BREACHED, Sla.OPEN)


def _names() -> dict[str, str]:
    return {
        Sla.MET: _("Met"),
        Sla.BREACHED: _("Breached"),
        Sla.OPEN: _("Still open, not past due"),
    }


def _breaches_now(scope: Scope) -> tuple[str, str]:
    return (_("Open tickets past due now"), queue_href(scope, sla="breached"))


def sla_by_day(scope: Scope) -> Panel:
    """Tickets due each day: met, breached, still open. Days have no link: the queue lists
    open tickets, and it cannot filter by the day a ticket was due."""
    key, title = "sla-by-day", _("SLA met and breached per day")
    line = timeline(scope)
    columns = (line.column, _("Met"), _("Breached"), _("Still open"), _("% met"))
    figures = read(scope, Metric.SLA)
    if not figures:
        return empty(key, title, "stacked", columns, _("tickets"))
    by_day: dict[tuple[str, str], int] = defaultdict(int)
    for figure in figures:
        by_day[(line.label_of(figure.day), figure.key3)] += figure.count
    labels = line.labels
    names = _names()
    series = tuple(
        Series(
            name=names[outcome],
            points=tuple(Point(label=day, value=by_day[(day, outcome)]) for day in labels),
        )
        for outcome in OUTCOMES
    )
    rows = tuple(
        (
            day,
            by_day[(day, Sla.MET)],
            by_day[(day, Sla.BREACHED)],
            by_day[(day, Sla.OPEN)],
            rate(by_day[(day, Sla.MET)], by_day[(day, Sla.MET)] + by_day[(day, Sla.BREACHED)]),
        )
        for day in labels
    )
    met = sum(count for (_day, outcome), count in by_day.items() if outcome == Sla.MET)
    breached = sum(count for (_day, outcome), count in by_day.items() if outcome == Sla.BREACHED)
    share = rate(met, met + breached)
    note = (
        _("%(met)d of %(decided)d tickets due in the range met their SLA (%(rate)s %%).")
        % {"met": met, "decided": met + breached, "rate": share}
        if share is not None
        else _("No ticket due in the range is finished or past due yet.")
    )
    return Panel(
        key=key,
        title=title,
        kind="stacked",
        series=series,
        columns=columns,
        rows=rows,
        unit=_("tickets"),
        note=note,
        links=(_breaches_now(scope),),
    )


def sla_by_dimension(scope: Scope) -> Panel:
    """Met and breached by client (when the scope has several), channel and category (the
    table); the chart by channel, each breached bar linking to that channel's open tickets
    past due."""
    key, title = "sla-by-dimension", _("SLA by channel and category")
    several = several_clients(scope)
    columns = (
        *((_("Client"),) if several else ()),
        _("Channel"),
        _("Category"),
        _("Met"),
        _("Breached"),
        _("Still open"),
        _("% met"),
    )
    figures = read(scope, Metric.SLA)
    if not figures:
        return empty(key, title, "stacked", columns, _("tickets"))
    names = client_names(scope)
    cells: dict[tuple[int, str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    channels: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for figure in figures:
        cells[(figure.client_id, figure.key1, figure.key2)][figure.key3] += figure.count
        channels[figure.key1][figure.key3] += figure.count
    rows = tuple(
        (
            *((names.get(client_id, str(client_id)),) if several else ()),
            label(Channel, channel),
            label(Category, category),
            counts[Sla.MET],
            counts[Sla.BREACHED],
            counts[Sla.OPEN],
            rate(counts[Sla.MET], counts[Sla.MET] + counts[Sla.BREACHED]),
        )
        for (client_id, channel, category), counts in sorted(
            cells.items(), key=lambda item: (names.get(item[0][0], ""), item[0][1], item[0][2])
        )
    )
    order = [c for c in Channel.values if c in channels] + sorted(
        c for c in channels if c not in Channel.values
    )
    outcome_names = _names()
    series = tuple(
        Series(
            name=outcome_names[outcome],
            points=tuple(
                Point(
                    label=label(Channel, channel),
                    value=channels[channel][outcome],
                    href=(
                        queue_href(scope, channel=channel, sla="breached")
                        if outcome == Sla.BREACHED and channel in Channel.values
                        else ""
                    ),
                )
                for channel in order
            ),
        )
        for outcome in (Sla.MET, Sla.BREACHED)
    )
    return Panel(
        key=key,
        title=title,
        kind="stacked",
        series=series,
        columns=columns,
        rows=rows,
        unit=_("tickets"),
        note=_("Each ticket counts on the day it was due, in its client's time zone."),
        links=(_breaches_now(scope),),
    )
