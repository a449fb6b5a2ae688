"""Risk: tickets opened in the range by their risk level and reasons (as assessed now),
and escalations to security with security's decisions."""

from collections import defaultdict

from django.utils.translation import gettext as _

from profiledesk.dashboards.models import Metric
from profiledesk.dashboards.panels import Panel, Point, Scope, Series
from profiledesk.tickets.models import RiskLevel, State

from .common import (
    duration_text,
    empty,
    label,
    merged,
    middle,
    minutes,
    percentile,
    queue_href,
    rate,
    read,
    timeline,
)

TOP_REASONS = 10


def reason_label(rule: str) -> str:
    """A risk rule's name (policies.risk's RULES, confirmations' customer report)."""
    labels: dict[str, str] = {
        "customer_frozen": _("Customer's profile frozen"),
        "customer_flagged": _("Customer flagged"),
        "recent_contact_change": _("Contact changed recently"),
        "contact_and_billing": _("Contact and billing in one request"),
        "takeover_sequence": _("Account-takeover sequence"),
        "failed_verification": _("Failed verification attempts"),
        "value_of_another_customer": _("Value of another customer"),
        "confusable_contact": _("Look-alike contact"),
        "idn_contact": _("Internationalised domain"),
        "shared_document": _("Document shown for another customer"),
        "outside_business_hours": _("Outside business hours"),
        "customer_report": _("Customer's “this wasn't me” report"),
        "other": _("Other"),
    }
    return labels.get(rule, rule.replace("_", " ").capitalize())


def tickets_by_risk(scope: Scope) -> Panel:
    """Tickets opened in the range by risk level; each bar links to the queue filtered to
    that level and the range's opening days."""
    key, title = "risk-levels", _("Tickets by risk level")
    # Two columns: the page links each number to the queue, as its bar.
    columns = (_("Risk"), _("Tickets"))
    figures = read(scope, Metric.RISK_LEVEL)
    if not figures:
        return empty(key, title, "bar", columns, _("tickets"))
    counts: dict[str, int] = defaultdict(int)
    for figure in figures:
        counts[figure.key1] += figure.count
    levels = [lv for lv in RiskLevel.values if lv in counts] + sorted(
        lv for lv in counts if lv not in RiskLevel.values
    )
    total = sum(counts.values())
    since, until = scope.since.isoformat(), scope.until.isoformat()
    points = tuple(
        Point(
            label=label(RiskLevel, level),
            value=counts[level],
            href=(
                queue_href(scope, risk=level, opened_since=since, opened_until=until)
                if level in RiskLevel.values
                else ""
            ),
        )
        for level in levels
    )
    return Panel(
        key=key,
        title=title,
        kind="bar",
        series=(Series(name=_("Tickets"), points=points),),
        columns=columns,
        rows=tuple((label(RiskLevel, level), counts[level]) for level in levels),
        unit=_("tickets"),
        note=_("%(total)d tickets opened in the range, at their risk level now: %(shares)s.")
        % {
            "total": total,
            "shares": ", ".join(
                _("%(level)s %(rate)s %%")
                % {"level": label(RiskLevel, level), "rate": rate(counts[level], total)}
                for level in levels
            ),
        },
    )


def top_risk_reasons(scope: Scope) -> Panel:
    """The reasons the tickets opened in the range hold, most frequent first (the chart
    the top ten, the table all)."""
    key, title = "risk-reasons", _("Top risk reasons")
    columns = (_("Reason"), _("Tickets"), _("% of tickets opened"))
    figures = read(scope, Metric.RISK_REASON, Metric.RISK_LEVEL)
    reasons: dict[str, int] = defaultdict(int)
    opened = 0
    for figure in figures:
        if figure.metric == Metric.RISK_REASON:
            reasons[figure.key1] += figure.count
        else:
            opened += figure.count
    if not reasons:
        return empty(key, title, "bar", columns, _("tickets"))
    ranked = sorted(reasons.items(), key=lambda item: (-item[1], reason_label(item[0])))
    return Panel(
        key=key,
        title=title,
        kind="bar",
        series=(
            Series(
                name=_("Tickets"),
                points=tuple(
                    Point(label=reason_label(rule), value=count)
                    for rule, count in ranked[:TOP_REASONS]
                ),
            ),
        ),
        columns=columns,
        rows=tuple((reason_label(rule), count, rate(count, opened)) for rule, count in ranked),
        unit=_("tickets"),
        note=_("A ticket with several reasons counts once for each."),
    )


OUTCOMES = (State.VERIFYING, State.REJECTED, State.CLOSED)


def outcome_label(state: str) -> str:
    labels: dict[str, str] = {
        State.VERIFYING: _("Returned to the flow"),
        State.REJECTED: _("Rejected as fraud"),
        State.CLOSED: _("Report closed"),
    }
    return labels.get(state, label(State, state))


def security_escalations(scope: Scope) -> Panel:
    """Escalations to security per day (the day of the move) and security's decisions
    (the day decided), with the time tickets spent with security."""
    key, title = "security-escalations", _("Escalations to security")
    line = timeline(scope)
    columns = (
        line.column,
        _("Escalated"),
        *(outcome_label(state) for state in OUTCOMES),
        _("Median time with security (min)"),
    )
    figures = read(scope, Metric.ESCALATED, Metric.ESCALATION_OUTCOME, durations=True)
    if not figures:
        return empty(key, title, "line", columns, _("tickets"))
    counts: dict[tuple[str, str], int] = defaultdict(int)
    spans: dict[str, list[tuple[int, ...]]] = defaultdict(list)
    for figure in figures:
        what = "escalated" if figure.metric == Metric.ESCALATED else figure.key1
        counts[(line.label_of(figure.day), what)] += figure.count
        if figure.metric == Metric.ESCALATION_OUTCOME:
            spans[line.label_of(figure.day)].append(figure.durations)
    labels = line.labels
    series = tuple(
        Series(
            name=name,
            points=tuple(Point(label=day, value=counts[(day, what)]) for day in labels),
        )
        for what, name in (
            ("escalated", _("Escalated")),
            *((state, outcome_label(state)) for state in OUTCOMES),
        )
    )
    rows = tuple(
        (
            day,
            counts[(day, "escalated")],
            *(counts[(day, state)] for state in OUTCOMES),
            minutes(middle(merged(spans[day]))),
        )
        for day in labels
    )
    whole = merged(v for lists in spans.values() for v in lists)
    escalated = sum(c for (_day, what), c in counts.items() if what == "escalated")
    if whole:
        note = _(
            "%(escalated)d escalated in the range; security decided in a median of "
            "%(median)s (p90 %(p90)s)."
        ) % {
            "escalated": escalated,
            "median": duration_text(middle(whole)),
            "p90": duration_text(percentile(whole, 90)),
        }
    else:
        note = _("%(escalated)d escalated in the range; no decision by security yet.") % {
            "escalated": escalated
        }
    return Panel(
        key=key,
        title=title,
        kind="line",
        series=series,
        columns=columns,
        rows=rows,
        unit=_("tickets"),
        note=note,
        links=((_("Escalated tickets now"), queue_href(scope, state=State.ESCALATED)),),
    )
