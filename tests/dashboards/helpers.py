"""Panels of the tests' own (the figures and compliance panels are other modules')."""

from profiledesk.dashboards.panels import Panel, Point, Scope, Series


def day_panel(scope: Scope) -> Panel:
    """Two series over three days, one bar linked, one day with nothing to measure."""
    met = Series(
        name="Met",
        points=(
            Point("2026-12-03", 7, href="/tickets/?opened_since=2026-12-03"),
            Point("2026-12-04", 5),
            Point("2026-12-05", None),
        ),
    )
    breached = Series(
        name="Breached",
        points=(
            Point("2026-12-03", 12, href="/tickets/?sla=breached"),
            Point("2026-12-04", 0),
            Point("2026-12-05", None),
        ),
    )
    return Panel(
        key="test-days",
        title="SLA per day",
        kind="stacked",
        series=(met, breached),
        columns=("Day", "Met", "Breached"),
        rows=(("2026-12-03", 7, 12), ("2026-12-04", 5, 0), ("2026-12-05", None, None)),
        unit="tickets",
        note=f"Clients {','.join(map(str, scope.client_ids))} from {scope.since} to {scope.until}",
    )


HOSTILE = ('=HYPERLINK("http://evil")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "plain")


def hostile_panel(scope: Scope) -> Panel:
    """Labels a client system or customer could have written, formula-like."""
    points = tuple(Point(label, n) for n, label in enumerate(HOSTILE))
    return Panel(
        key="test-hostile",
        title="Hostile labels",
        kind="bar",
        series=(Series(name="=cmd|' /C calc'!A0", points=points),),
        columns=("=Label", "Count"),
        rows=tuple((p.label, p.value) for p in points),
    )


def line_panel(scope: Scope) -> Panel:
    lead = Series(
        name="Median",
        points=(Point("2026-12-03", 42.5), Point("2026-12-04", None), Point("2026-12-05", 30.0)),
    )
    p90 = Series(
        name="p90",
        points=(Point("2026-12-03", 190.0), Point("2026-12-04", None), Point("2026-12-05", 95.0)),
    )
    return Panel(
        key="test-lead",
        title="Lead time",
        kind="line",
        series=(lead, p90),
        columns=("Day", "Median", "p90"),
        rows=(("2026-12-03", 42.5, 190.0), ("2026-12-04", None, None), ("2026-12-05", 30.0, 95.0)),
        unit="minutes",
    )
