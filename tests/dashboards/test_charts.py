"""The SVG charts: a bar per point, a link per href with an accessible name, values on the
bars, a legend whose series differ by more than colour, and no inline style (CSP)."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string

from profiledesk.dashboards.charts import axis_steps, chart_for, day_label
from profiledesk.dashboards.now import _counts_panel
from profiledesk.dashboards.panels import Panel, Point, Scope, Series
from tests.dashboards.helpers import day_panel, line_panel

SCOPE = Scope(
    client_ids=(1,), since=dt.date(2026, 12, 3), until=dt.date(2026, 12, 5), zone=ZoneInfo("UTC")
)


def svg_of(panel: Panel) -> str:
    return render_to_string("dashboards/_chart.html", {"panel": panel, "chart": chart_for(panel)})


def bar_panel(points) -> Panel:
    return Panel(
        key="bars",
        title="Bars",
        kind="bar",
        series=(Series(name="Open tickets", points=tuple(points)),),
        columns=("State", "Open tickets"),
        rows=tuple((p.label, p.value) for p in points),
        unit="tickets",
    )


def test_a_bar_chart_has_a_bar_and_a_printed_value_per_point():
    panel = bar_panel([Point("New", 3), Point("Ready", 0), Point("Verifying", 1204)])
    svg = svg_of(panel)
    assert svg.count('class="pd-mark-shape"') == 3
    values = re.findall(r'class="pd-value"[^>]*>([^<]+)</text>', svg)
    assert values == ["3", "0", "1,204"]


def test_each_point_with_an_href_is_a_named_link_and_the_others_are_not():
    panel = bar_panel([Point("Breached", 12, href="/tickets/?sla=breached"), Point("OK", 4)])
    svg = svg_of(panel)
    links = re.findall(r'<a class="pd-mark-link" href="([^"]+)" aria-label="([^"]+)"', svg)
    assert links == [
        (
            "/tickets/?sla=breached",
            "Open tickets, Breached: 12 tickets — open the tickets behind it",
        )
    ]
    # A chart with links is a group (an img's children are presentational, its links lost).
    assert 'role="group"' in svg


def test_a_chart_without_links_is_one_image_named_by_its_title():
    svg = svg_of(bar_panel([Point("New", 3)]))
    assert 'role="img"' in svg and 'aria-labelledby="chart-bars-title"' in svg
    assert '<title id="chart-bars-title">Chart: Bars.' in svg


def test_a_stacked_chart_has_a_segment_per_non_empty_value_and_its_days_named():
    svg = svg_of(day_panel(SCOPE))
    # 3 Dec: met 7 + breached 12; 4 Dec: met 5 (breached 0 draws nothing); 5 Dec: nothing.
    assert svg.count('class="pd-mark-shape"') == 3
    assert 'aria-label="Breached, 3 Dec: 12 tickets — open the tickets behind it"' in svg
    assert 'aria-label="Met, 3 Dec: 7 tickets — open the tickets behind it"' in svg
    totals = re.findall(r'font-weight="600"[^>]*>([^<]+)</text>', svg)
    assert totals == ["19", "5", "0"]


def test_series_differ_by_pattern_in_the_legend_not_by_colour_alone():
    chart = chart_for(day_panel(SCOPE))
    assert chart is not None
    assert [s.pattern for s in chart.styles] == ["solid", "stripes"]
    svg = svg_of(day_panel(SCOPE))
    assert f'<pattern id="{chart.styles[1].pattern_id}"' in svg
    assert f'fill="url(#{chart.styles[1].pattern_id})"' in svg  # the legend's swatch and bars
    assert ">Met</text>" in svg and ">Breached</text>" in svg


def test_a_line_chart_marks_each_measured_point_with_its_series_shape():
    chart = chart_for(line_panel(SCOPE))
    assert chart is not None
    assert len(chart.marks) == 4  # the day with nothing to measure has no marker
    assert [s.marker for s in chart.styles] == ["circle", "square"]
    assert chart.styles[1].dash  # the second line is dashed
    assert "Median, 3 Dec: 42.5 minutes" in [m.name for m in chart.marks]


def test_the_svg_scales_with_its_box_and_carries_no_inline_style():
    svg = svg_of(day_panel(SCOPE))
    assert 'viewBox="0 0 720 ' in svg
    assert "style=" not in svg and "<script" not in svg


def test_a_hostile_label_is_escaped_in_the_svg():
    svg = svg_of(bar_panel([Point('<script>alert(1)</script>"', 1, href="/tickets/")]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_counts_get_whole_gridlines_and_the_axis_reaches_the_tallest_bar():
    assert axis_steps(0, whole=True) == (1.0, 1)
    assert axis_steps(3, whole=True) == (1.0, 3)
    step, count = axis_steps(1204, whole=True)
    assert step * count >= 1204 and count <= 5
    step, count = axis_steps(0.4, whole=False)
    assert step * count >= 0.4


def test_day_labels_read_as_days_and_other_labels_as_they_are():
    assert day_label("2026-12-03") == "3 Dec"
    assert day_label("Tier 1") == "Tier 1"
    assert day_label("2026-13-45") == "2026-13-45"


def test_a_numbers_panel_has_no_chart():
    panel = _counts_panel(
        scope=SCOPE, key="n", title="N", column="C", counts={}, labels=[], param="state"
    )
    assert chart_for(Panel(**{**panel.__dict__, "kind": "numbers"})) is None


def test_a_long_label_is_wrapped_and_shortened_under_its_bar_but_named_in_full():
    long = '=HYPERLINK("http://evil.example/a/very/long/path")'
    chart = chart_for(
        bar_panel([Point(long, 1, href="/tickets/"), *[Point(str(i), i) for i in range(6)]])
    )
    assert chart is not None
    first = chart.labels[0]
    assert len(first.lines) <= 2 and first.lines[0].endswith("…")
    assert all(len(line) <= 13 for line in first.lines)  # a seventh of 720 units, 7 a character
    assert long in chart.marks[0].name
