"""Approvals: each tier's decision (its first rejection, else the approval that completed
it), its lead time from the round's submission, and the rejection rate. No links: the
queue does not filter by tier (the approvals page lists what waits)."""

from collections import defaultdict

from django.utils.translation import gettext as _

from profiledesk.approvals.models import Approval
from profiledesk.dashboards.models import Metric
from profiledesk.dashboards.panels import Panel, Point, Scope, Series

from .common import (
    duration_text,
    empty,
    merged,
    middle,
    minutes,
    percentile,
    rate,
    read,
    timeline,
)

APPROVED, REJECTED = Approval.Decision.APPROVED, Approval.Decision.REJECTED


def tier_label(tier: str) -> str:
    labels = {"1": _("Tier 1 (supervisor)"), "2": _("Tier 2 (compliance)")}
    return labels.get(tier, _("Tier %(tier)s") % {"tier": tier})


def approval_lead_time(scope: Scope) -> Panel:
    """Median and p90 from submission to each tier's decision, and its rejection rate."""
    key, title = "approval-lead-time", _("Approval lead time per tier")
    columns = (
        _("Tier"),
        _("Approved"),
        _("Rejected"),
        _("% rejected"),
        _("Median (min)"),
        _("p90 (min)"),
    )
    figures = read(scope, Metric.APPROVAL, durations=True)
    if not figures:
        return empty(key, title, "bar", columns, _("minutes"))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    spans: dict[str, list[tuple[int, ...]]] = defaultdict(list)
    for figure in figures:
        counts[figure.key1][figure.key2] += figure.count
        spans[figure.key1].append(figure.durations)
    tiers = sorted(counts, key=lambda tier: (len(tier), tier))
    lead = {tier: merged(spans[tier]) for tier in tiers}
    series = (
        Series(
            name=_("Median"),
            points=tuple(Point(label=tier_label(t), value=minutes(middle(lead[t]))) for t in tiers),
        ),
        Series(
            name=_("p90"),
            points=tuple(
                Point(label=tier_label(t), value=minutes(percentile(lead[t], 90))) for t in tiers
            ),
        ),
    )
    rows = tuple(
        (
            tier_label(tier),
            counts[tier][APPROVED],
            counts[tier][REJECTED],
            rate(counts[tier][REJECTED], counts[tier][APPROVED] + counts[tier][REJECTED]),
            minutes(middle(lead[tier])),
            minutes(percentile(lead[tier], 90)),
        )
        for tier in tiers
    )
    note = "; ".join(
        _("%(tier)s: median %(median)s, p90 %(p90)s")
        % {
            "tier": tier_label(tier),
            "median": duration_text(middle(lead[tier])),
            "p90": duration_text(percentile(lead[tier], 90)),
        }
        for tier in tiers
    )
    return Panel(
        key=key,
        title=title,
        kind="bar",
        series=series,
        columns=columns,
        rows=rows,
        unit=_("minutes"),
        note=note + ".",
    )


def approval_decisions_by_day(scope: Scope) -> Panel:
    """Tier decisions approved and rejected per day (a two-tier approval is two)."""
    key, title = "approval-decisions", _("Approval decisions per day")
    line = timeline(scope)
    columns = (line.column, _("Approved"), _("Rejected"), _("% rejected"))
    figures = read(scope, Metric.APPROVAL)
    if not figures:
        return empty(key, title, "stacked", columns, _("decisions"))
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for figure in figures:
        counts[(line.label_of(figure.day), figure.key2)] += figure.count
    labels = line.labels
    series = tuple(
        Series(
            name=name,
            points=tuple(Point(label=day, value=counts[(day, decision)]) for day in labels),
        )
        for decision, name in ((APPROVED, _("Approved")), (REJECTED, _("Rejected")))
    )
    rows = tuple(
        (
            day,
            counts[(day, APPROVED)],
            counts[(day, REJECTED)],
            rate(counts[(day, REJECTED)], counts[(day, APPROVED)] + counts[(day, REJECTED)]),
        )
        for day in labels
    )
    rejected = sum(c for (_day, d), c in counts.items() if d == REJECTED)
    total = sum(counts.values())
    return Panel(
        key=key,
        title=title,
        kind="stacked",
        series=series,
        columns=columns,
        rows=rows,
        unit=_("decisions"),
        note=_("%(rejected)d of %(total)d tier decisions were rejections (%(rate)s %%).")
        % {"rejected": rejected, "total": total, "rate": rate(rejected, total)},
    )
