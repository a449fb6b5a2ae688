"""The "now" panels: the floor as it is at this moment (backlog, SLA, approvals waiting).

Live indexed queries on open tickets, one aggregate a panel whatever the ticket count:
the open tickets are a small part of the table and the partial indexes on open tickets
(tickets.models) hold them. The date range of the scope does not apply (these are
"now"); each number links to the queue filtered to what it counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from profiledesk.approvals.models import ApprovalRound
from profiledesk.tickets.models import OPEN_STATES, Channel, State, Ticket, TicketQuerySet
from profiledesk.tickets.queue_forms import AGE_CHOICES
from profiledesk.tickets.selectors import (
    SlaFilter,
    age_band_q,
    sla_breached_q,
    sla_due_soon_q,
)

from .panels import Panel, PanelFunction, Point, Scope, Series


def _now_note() -> str:
    return _("Now, whatever the dates chosen.")


def queue_href(scope: Scope, **filters: str) -> str:
    """The queue narrowed to what a number counts (and to the one client chosen)."""
    params: dict[str, str | int] = {}
    if len(scope.client_ids) == 1:
        params["client"] = scope.client_ids[0]
    params.update(filters)
    return f"{reverse('tickets:queue')}?{urlencode(params)}"


def _open(scope: Scope) -> TicketQuerySet:
    return Ticket.objects.filter(client_id__in=scope.client_ids).open()


def _counts_panel(
    *,
    scope: Scope,
    key: str,
    title: str,
    column: str,
    counts: Mapping[str, int],
    labels: list[tuple[str, str]],
    param: str,
    note: str = "",
) -> Panel:
    """A one-series bar panel of open-ticket counts, a bar per label, each a queue link."""
    points = tuple(
        Point(label=label, value=counts.get(value, 0), href=queue_href(scope, **{param: value}))
        for value, label in labels
    )
    return Panel(
        key=key,
        title=title,
        kind="bar",
        series=(Series(name=_("Open tickets"), points=points),),
        columns=(column, _("Open tickets")),
        rows=tuple((p.label, p.value) for p in points),
        unit=_("tickets"),
        note=f"{note} {_now_note()}".strip(),
    )


def _open_counts_by(scope: Scope, field: str) -> dict[str, int]:
    """Open tickets per value of `field` (one GROUP BY)."""
    rows = _open(scope).order_by().values_list(field).annotate(n=Count("id"))
    return dict(rows.values_list(field, "n"))


def backlog_by_state(scope: Scope) -> Panel:
    """Open tickets per state (one GROUP BY)."""
    counts = _open_counts_by(scope, "state")
    return _counts_panel(
        scope=scope,
        key="backlog-state",
        title=_("Backlog now by state"),
        column=_("State"),
        counts=counts,
        labels=[(state, str(State(state).label)) for state in OPEN_STATES],
        param="state",
    )


def backlog_by_age(scope: Scope) -> Panel:
    """Open tickets per age band (one query: a filtered count per band)."""
    now = timezone.now()
    bands = {str(band): Count("id", filter=age_band_q(band, now)) for band, _label in AGE_CHOICES}
    counts = _open(scope).order_by().aggregate(**bands)
    return _counts_panel(
        scope=scope,
        key="backlog-age",
        title=_("Backlog now by age"),
        column=_("Opened"),
        counts=counts,
        labels=[(str(band), str(label)) for band, label in AGE_CHOICES],
        param="age",
        note=_("Age: time since the ticket was opened."),
    )


def backlog_by_channel(scope: Scope) -> Panel:
    """Open tickets per channel (one GROUP BY)."""
    counts = _open_counts_by(scope, "channel")
    return _counts_panel(
        scope=scope,
        key="backlog-channel",
        title=_("Backlog now by channel"),
        column=_("Channel"),
        counts=counts,
        labels=[(str(value), str(label)) for value, label in Channel.choices],
        param="channel",
    )


def sla_now(scope: Scope) -> Panel:
    """Open tickets past their SLA and due within the hour (one query; the queue's rules)."""
    now = timezone.now()
    counts = (
        _open(scope)
        .order_by()
        .aggregate(
            breached=Count("id", filter=sla_breached_q(now)),
            due_soon=Count("id", filter=sla_due_soon_q(now)),
        )
    )
    return _counts_panel(
        scope=scope,
        key="sla-now",
        title=_("SLA now"),
        column=_("SLA"),
        counts=counts,
        labels=[
            (SlaFilter.BREACHED, _("Breached")),
            (SlaFilter.DUE_SOON, _("Due within the hour")),
        ],
        param="sla",
        note=_("Breached: past the due time (a paused clock counts when it stopped)."),
    )


def approvals_now(scope: Scope) -> Panel:
    """Approval rounds waiting per tier (one GROUP BY over the approval queue's index)."""
    counts = dict(
        ApprovalRound.objects.filter(
            status=ApprovalRound.Status.OPEN, client_id__in=scope.client_ids
        )
        .order_by()
        .values_list("current_tier")
        .annotate(n=Count("id"))
        .values_list("current_tier", "n")
    )
    tiers = sorted({1, 2, *counts})
    href = queue_href(scope, state=State.PENDING_APPROVAL)
    points = tuple(
        Point(label=_("Tier %(tier)d") % {"tier": tier}, value=counts.get(tier, 0), href=href)
        for tier in tiers
    )
    return Panel(
        key="approvals-now",
        title=_("Approvals waiting now per tier"),
        kind="bar",
        series=(Series(name=_("Waiting"), points=points),),
        columns=(_("Tier"), _("Waiting")),
        rows=tuple((p.label, p.value) for p in points),
        unit=_("tickets"),
        note=f"{_('Tier 1: supervisors; tier 2: compliance.')} {_now_note()}",
    )


NOW_PANELS: list[PanelFunction] = [
    backlog_by_state,
    backlog_by_age,
    backlog_by_channel,
    sla_now,
    approvals_now,
]
