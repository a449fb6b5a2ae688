"""Downstream systems and messages: deliveries per connector (success and lag), and
confirmations by channel, each counted on the day it was written, with its outcome now.
No links: the queue filters neither by connector nor by confirmation."""

from collections import defaultdict

from django.utils.translation import gettext as _

from profiledesk.connectors.models import Status as DeliveryStatus
from profiledesk.dashboards.build import Sent
from profiledesk.dashboards.models import Metric
from profiledesk.dashboards.panels import Cell, Panel, Point, Scope, Series

from .common import (
    client_names,
    duration_text,
    empty,
    merged,
    middle,
    percentile,
    rate,
    read,
    several_clients,
)

STATUSES = (
    DeliveryStatus.DELIVERED,
    DeliveryStatus.FAILING,
    DeliveryStatus.GAVE_UP,
    DeliveryStatus.PENDING,
)


def _status_label(status: str) -> str:
    labels: dict[str, str] = {
        DeliveryStatus.DELIVERED: _("Delivered"),
        DeliveryStatus.FAILING: _("Failing"),
        DeliveryStatus.GAVE_UP: _("Gave up"),
        DeliveryStatus.PENDING: _("Pending"),
    }
    return labels.get(status, status)


def deliveries_by_connector(scope: Scope) -> Panel:
    """Each connector's deliveries by status, its success rate and the lag from the event
    to the system's acknowledgement (median, p90)."""
    key, title = "deliveries", _("Deliveries per connector")
    several = several_clients(scope)
    columns = (
        *((_("Client"),) if several else ()),
        _("Connector"),
        *(_status_label(status) for status in STATUSES),
        _("% delivered"),
        _("Median lag (s)"),
        _("p90 lag (s)"),
    )
    figures = read(scope, Metric.DELIVERY, durations=True)
    if not figures:
        return empty(key, title, "stacked", columns, _("deliveries"))
    names = client_names(scope)
    counts: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    lags: dict[tuple[int, str], list[tuple[int, ...]]] = defaultdict(list)
    for figure in figures:
        counts[(figure.client_id, figure.key1)][figure.key2] += figure.count
        lags[(figure.client_id, figure.key1)].append(figure.durations)
    connectors = sorted(counts, key=lambda c: (names.get(c[0], ""), c[1]))

    def connector_label(connector: tuple[int, str]) -> str:
        client_id, name = connector
        if several:
            return f"{name} ({names.get(client_id, client_id)})"
        return name

    series = tuple(
        Series(
            name=_status_label(status),
            points=tuple(
                Point(label=connector_label(c), value=counts[c][status]) for c in connectors
            ),
        )
        for status in STATUSES
    )
    rows: list[tuple[Cell, ...]] = []
    for connector in connectors:
        total = sum(counts[connector].values())
        lag = merged(lags[connector])
        median, p90 = middle(lag), percentile(lag, 90)
        rows.append(
            (
                *((names.get(connector[0], str(connector[0])),) if several else ()),
                connector[1],
                *(counts[connector][status] for status in STATUSES),
                rate(counts[connector][DeliveryStatus.DELIVERED], total),
                None if median is None else round(median, 1),
                None if p90 is None else float(p90),
            )
        )
    everything = merged(v for lists in lags.values() for v in lists)
    return Panel(
        key=key,
        title=title,
        kind="stacked",
        series=series,
        columns=columns,
        rows=tuple(rows),
        unit=_("deliveries"),
        note=_("Delivered in a median of %(median)s after the event (p90 %(p90)s).")
        % {
            "median": duration_text(middle(everything)),
            "p90": duration_text(percentile(everything, 90)),
        },
    )


OUTCOMES = (Sent.SENT, Sent.PENDING, Sent.RETRYING, Sent.FAILED, Sent.GAVE_UP)


def _outcome_label(outcome: str) -> str:
    labels: dict[str, str] = {
        Sent.SENT: _("Sent"),
        Sent.PENDING: _("Pending"),
        Sent.RETRYING: _("Retrying"),
        Sent.FAILED: _("Failed"),
        Sent.GAVE_UP: _("Given up"),
    }
    return labels.get(outcome, outcome)


def _channel_label(channel: str) -> str:
    labels = {"email": _("E-mail"), "sms": _("SMS"), "app": _("App")}
    return labels.get(channel, channel)


def confirmations_by_channel(scope: Scope) -> Panel:
    """Confirmations sent, failed and given up per channel (e-mail, SMS, the app)."""
    key, title = "confirmations", _("Confirmations by channel")
    columns = (
        _("Channel"),
        *(_outcome_label(outcome) for outcome in OUTCOMES),
        _("% sent"),
    )
    figures = read(scope, Metric.CONFIRMATION)
    if not figures:
        return empty(key, title, "stacked", columns, _("messages"))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for figure in figures:
        counts[figure.key1][figure.key2] += figure.count
    order = ("email", "sms", "app")
    channels = [c for c in order if c in counts] + sorted(c for c in counts if c not in order)
    series = tuple(
        Series(
            name=_outcome_label(outcome),
            points=tuple(
                Point(label=_channel_label(channel), value=counts[channel][outcome])
                for channel in channels
            ),
        )
        for outcome in OUTCOMES
    )
    rows = tuple(
        (
            _channel_label(channel),
            *(counts[channel][outcome] for outcome in OUTCOMES),
            rate(counts[channel][Sent.SENT], sum(counts[channel].values())),
        )
        for channel in channels
    )
    return Panel(
        key=key,
        title=title,
        kind="stacked",
        series=series,
        columns=columns,
        rows=rows,
        unit=_("messages"),
        note=_("Counted on the day the confirmation was written, with its outcome now."),
    )
