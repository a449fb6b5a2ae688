"""The history page's filter fields are printed by Jinja2 (audit/history_rows.py
`filters_html`, profiledesk/browser/filter_fields.py), not by Django's widget templates:
they must print what Django's widgets print — the same options, the same one selected, the
same values, escaped — for any query string, and leave a form in error to Django's
widgets (its errors tied to their fields)."""

import re

from django.http import QueryDict
from django.template import engines
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.forms import HistoryFilterForm
from audit.history_rows import filters_html
from profiledesk.policies.categories import Category

# The fields as templates/audit/customer_history.html prints them the Django way.
DJANGO_WAY = engines["django"].from_string(
    """{% for field in form.visible_fields %}
  <div class="col-sm-6 col-md-3">
    <label class="form-label small mb-0" for="{{ field.id_for_label }}">{{ field.label }}</label>
    {{ field }}
    {% for error in field.errors %}<div class="invalid-feedback d-block" id="{{ field.id_for_label }}-error">{{ error }}</div>{% endfor %}
  </div>
  {% endfor %}"""  # noqa: E501 - the page's own markup, as it is
)

HOSTILE = '<img src=x onerror="alert(1)">&\'"'
PEOPLE = [(11, HOSTILE), (12, "Bob Baker"), (13, "eve")]


def canonical(markup: str) -> str:
    """Markup as the browser reads it: whitespace between tags and the spelling of a
    quote (Jinja2 &#34; and &#39;, Django &quot; and &#x27;) do not show."""
    markup = re.sub(r">\s+<", "><", markup.strip())
    markup = re.sub(r"&(#39|#x27);", "&#x27;", markup)
    return re.sub(r"&(#34|quot);", "&quot;", markup)


def form_for(query: str | None) -> HistoryFilterForm:
    form = HistoryFilterForm(None if query is None else QueryDict(query), staff_choices=PEOPLE)
    if form.is_bound:
        form.is_valid()
    return form


def both(query: str | None) -> tuple[str | None, str]:
    form = form_for(query)
    fast = filters_html(form)
    return (None if fast is None else canonical(str(fast))), canonical(
        DJANGO_WAY.render({"form": form})
    )


VALUES = {
    "category": ["", *Category.values],
    "staff": ["", "11", "12", "13"],
    "date_from": ["", "2026-03-01", "1999-12-31"],
    "date_to": ["", "2026-03-31", "9998-12-31"],
}


@settings(max_examples=60, deadline=None)
@given(st.fixed_dictionaries({name: st.sampled_from(values) for name, values in VALUES.items()}))
def test_the_fields_print_what_djangos_widgets_print_for_any_valid_query(params):
    query = "&".join(f"{name}={value}" for name, value in params.items() if value)
    form = form_for(query)
    if not form.is_valid():  # the end before the start: Django's widgets print it
        assert filters_html(form) is None
        return
    fast, django_way = both(query)
    assert fast == django_way


def test_an_unfiltered_page_prints_the_same_fields():
    fast, django_way = both(None)
    assert fast == django_way
    assert fast.count("<select") == 2 and fast.count('type="date"') == 2
    assert fast.count("<option") == len(Category.values) + 1 + len(PEOPLE) + 1


def test_staff_names_print_as_text():
    fast, _ = both("staff=11")
    assert HOSTILE not in fast and "<img" not in fast
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#x27;&quot;" in fast
    assert '<option value="11" selected>' in fast


@given(st.text(max_size=40))
@settings(max_examples=40, deadline=None)
def test_a_form_in_error_is_left_to_djangos_widgets(junk):
    # Whatever was typed into a parameter, either the form is valid and the two agree, or
    # it is in error and Django's widgets print it (the error tied to its field).
    data = QueryDict(mutable=True)
    data["date_from"], data["staff"], data["category"] = junk, junk, junk
    form = HistoryFilterForm(data, staff_choices=PEOPLE)
    if form.is_valid():
        fast, django_way = both(data.urlencode())
        assert fast == django_way
    else:
        assert filters_html(form) is None
