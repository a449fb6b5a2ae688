"""Verification: attempts passed and failed by method, and lock-outs per day. No links:
the queue has no filter for either."""

from collections import defaultdict

from django.utils.translation import gettext as _

from profiledesk.dashboards.models import Metric
from profiledesk.dashboards.panels import Panel, Point, Scope, Series
from verification.methods import label, methods
from verification.models import Method, Result

from .common import empty, rate, read, timeline


def method_order() -> list[str]:
    """The panel's keys for the registered methods, in the wizard's order: a code by
    e-mail and by SMS apart (dashboards.build.method_key), then the rest by their code."""
    keys: list[str] = []
    for plugin in methods():
        if plugin.code == Method.OTP:
            keys += ["otp_email", "otp_sms"]
        keys.append(plugin.code)
    return keys


def method_label(key: str) -> str:
    """A key's name: the registry's label; a method no longer registered by its code."""
    by_channel = {"otp_email": _("Code by e-mail"), "otp_sms": _("Code by SMS")}
    if key in by_channel:
        return by_channel[key]
    return label(key)


def verification_by_method(scope: Scope) -> Panel:
    """Attempts passed and failed per method (codes by e-mail and by SMS apart), both the
    caller's identity and the proof of a new contact."""
    key, title = "verification-methods", _("Verification by method")
    columns = (_("Method"), _("Passed"), _("Failed"), _("Attempts"), _("% failed"))
    figures = read(scope, Metric.VERIFICATION)
    if not figures:
        return empty(key, title, "stacked", columns, _("attempts"))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for figure in figures:
        counts[figure.key1][figure.key2] += figure.count
    # Every registered method, with none recorded too (a method the floor never uses shows
    # as such), then any key no method answers to any more.
    order = method_order()
    shown = [m for m in order if m in counts or m != Method.OTP] + sorted(
        m for m in counts if m not in order
    )
    series = tuple(
        Series(
            name=name,
            points=tuple(
                Point(label=method_label(method), value=counts[method][result]) for method in shown
            ),
        )
        for result, name in ((Result.PASSED, _("Passed")), (Result.FAILED, _("Failed")))
    )
    rows = tuple(
        (
            method_label(method),
            counts[method][Result.PASSED],
            counts[method][Result.FAILED],
            counts[method][Result.PASSED] + counts[method][Result.FAILED],
            rate(
                counts[method][Result.FAILED],
                counts[method][Result.PASSED] + counts[method][Result.FAILED],
            ),
        )
        for method in shown
    )
    failed = sum(c[Result.FAILED] for c in counts.values())
    total = failed + sum(c[Result.PASSED] for c in counts.values())
    return Panel(
        key=key,
        title=title,
        kind="stacked",
        series=series,
        columns=columns,
        rows=rows,
        unit=_("attempts"),
        note=_("%(failed)d of %(total)d attempts failed (%(rate)s %%).")
        % {"failed": failed, "total": total, "rate": rate(failed, total)},
    )


def lockouts_by_day(scope: Scope) -> Panel:
    """Customers locked out of verification (too many failures), on the day it began."""
    key, title = "verification-lockouts", _("Verification lock-outs")
    line = timeline(scope)
    columns = (line.column, _("Lock-outs"))
    figures = read(scope, Metric.LOCKOUT)
    if not figures:
        return empty(key, title, "bar", columns, _("lock-outs"))
    counts: dict[str, int] = defaultdict(int)
    for figure in figures:
        counts[line.label_of(figure.day)] += figure.count
    labels = line.labels
    return Panel(
        key=key,
        title=title,
        kind="bar",
        series=(
            Series(
                name=_("Lock-outs"),
                points=tuple(Point(label=day, value=counts[day]) for day in labels),
            ),
        ),
        columns=columns,
        rows=tuple((day, counts[day]) for day in labels),
        unit=_("lock-outs"),
        note=_("%(count)d lock-outs in the range.") % {"count": sum(counts.values())},
    )
