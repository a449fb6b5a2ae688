"""Properties over varied input: every CSV cell a spreadsheet would run is text; every
point of a bar panel is one bar, and one link when it has an href."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from hypothesis import given
from hypothesis import strategies as st

from profiledesk.dashboards.charts import chart_for
from profiledesk.dashboards.panels import Panel, Point, Scope, Series
from profiledesk.privacy.spreadsheet import FORMULA_STARTS, spreadsheet_text

SCOPE = Scope((1,), dt.date(2026, 12, 1), dt.date(2026, 12, 5), ZoneInfo("UTC"))


@given(st.text())
def test_a_cell_never_starts_a_formula(text):
    cell = spreadsheet_text(text)
    assert not str(cell).startswith(FORMULA_STARTS)
    assert str(cell).removeprefix("'") == text or cell == text


@given(st.one_of(st.integers(), st.floats(allow_nan=False), st.none()))
def test_numbers_are_left_as_they_are(value):
    assert spreadsheet_text(value) == value


points = st.lists(
    st.builds(
        Point,
        label=st.text(min_size=1, max_size=30),
        value=st.one_of(st.none(), st.integers(0, 10**7)),
        href=st.sampled_from(["", "/tickets/?state=new"]),
    ),
    min_size=1,
    max_size=40,
    unique_by=lambda p: p.label,
)


@given(points)
def test_every_point_is_a_bar_and_every_href_a_named_link(pts):
    panel = Panel(
        key="p",
        title="P",
        kind="bar",
        series=(Series(name="S", points=tuple(pts)),),
        columns=("L", "V"),
        rows=tuple((p.label, p.value) for p in pts),
    )
    chart = chart_for(panel)
    assert chart is not None and len(chart.marks) == len(pts)
    svg = render_to_string("dashboards/_chart.html", {"panel": panel, "chart": chart})
    assert svg.count('class="pd-mark-shape"') == len(pts)
    assert len(re.findall(r'<a class="pd-mark-link" href="[^"]+" aria-label="S, ', svg)) == sum(
        1 for p in pts if p.href
    )
    assert all(0 <= m.height <= 220.01 for m in chart.marks)
