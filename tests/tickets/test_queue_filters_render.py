"""The queue's filter fields are printed by Jinja2 (tickets/queue_rows.py, issue 20), not by
Django's widget templates: they must print what Django's widgets print — the same options,
the same one selected, the same values, escaped — for any query string, and leave a form
in error to Django's widgets (aria-invalid, the error's id)."""

import html
import re
from types import SimpleNamespace

from django.http import QueryDict
from django.template import engines
from hypothesis import given, settings
from hypothesis import strategies as st

from profiledesk.tickets.queue_forms import AGE_CHOICES, QueueFilterForm
from profiledesk.tickets.queue_rows import queue_filters_html

DJANGO_WAY = engines["django"].from_string(
    """{% for field in form.visible_fields %}
    <div class="col-6 col-md-3 col-xl-2">
      <label class="form-label small mb-1" for="{{ field.id_for_label }}">{{ field.label }}</label>
      {{ field }}
    </div>
    {% endfor %}"""
)

HOSTILE = '<img src=x onerror="alert(1)">&\'"'
CLIENTS = [SimpleNamespace(pk=3, name="Northwind"), SimpleNamespace(pk=7, name=HOSTILE)]
PEOPLE = [
    SimpleNamespace(user=SimpleNamespace(pk=11, get_full_name=lambda: HOSTILE, username="eve")),
    SimpleNamespace(user=SimpleNamespace(pk=12, get_full_name=lambda: "", username="bob")),
]


def canonical(markup: str) -> str:
    """Markup as the browser reads it: whitespace between tags and the spelling of an
    escaped quote (Jinja2 &#34;, Django &quot;) do not show."""
    markup = re.sub(r">\s+<", "><", markup.strip())
    return re.sub(r"&(#34|quot|#39|#x27);", lambda m: html.escape(html.unescape(m[0])), markup)


def form_for(query: str) -> QueueFilterForm:
    form = QueueFilterForm(QueryDict(query), clients=CLIENTS, people=PEOPLE)
    form.is_valid()
    return form


def both(query: str) -> tuple[str | None, str]:
    form = form_for(query)
    fast = queue_filters_html(form)
    return (None if fast is None else canonical(str(fast))), canonical(
        DJANGO_WAY.render({"form": form})
    )


VALUES = {
    "state": ["", "new", "verifying", "escalated"],
    "client": ["", "3", "7"],
    "channel": ["", "phone", "email", "internal"],
    "category": ["", "personal", "avatar"],
    "risk": ["", "low", "critical"],
    "assignee": ["", "me", "none", "11", "12"],
    "sla": ["", "breached", "due_soon"],
    "age": ["", *(str(value) for value, _ in AGE_CHOICES)],
    "opened_since": ["", "2026-03-01"],
    "opened_until": ["", "2026-03-31"],
    "sort": ["", "due", "age", "risk"],
}


@settings(max_examples=60, deadline=None)
@given(st.fixed_dictionaries({name: st.sampled_from(values) for name, values in VALUES.items()}))
def test_the_fields_print_what_djangos_widgets_print_for_any_valid_query(params):
    query = "&".join(f"{name}={value}" for name, value in params.items() if value)
    fast, django_way = both(query)
    assert fast == django_way


def test_an_unfiltered_queue_prints_the_same_fields():
    fast, django_way = both("")
    assert fast == django_way
    assert fast.count("<select") == 9 and fast.count('type="date"') == 2


def test_names_people_and_clients_wrote_print_as_text():
    fast, _ = both("client=7&assignee=11")
    assert HOSTILE not in fast and "<img" not in fast
    assert fast.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#x27;&quot;") == 2
    assert '<option value="7" selected>' in fast and '<option value="11" selected>' in fast


@given(st.text(max_size=40))
@settings(max_examples=40, deadline=None)
def test_a_form_in_error_is_left_to_djangos_widgets(junk):
    # Whatever was typed into a parameter, either the form is valid and the two agree, or
    # it is in error and Django's widgets print it (aria-invalid and the error's id).
    data = QueryDict(mutable=True)
    data["opened_since"], data["state"] = junk, junk
    form = QueueFilterForm(data, clients=CLIENTS, people=PEOPLE)
    if form.is_valid():
        fast, django_way = both(data.urlencode())
        assert fast == django_way
    else:
        assert queue_filters_html(form) is None
