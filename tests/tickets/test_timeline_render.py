"""The ticket page's timeline events are rendered by Jinja2 from lines worked out once in
Python (tickets/timeline_rows.py, issue 20). The agent and the auditor must see what the
Django loop showed — the same time (zone and all), who, what and message — and whatever a
customer, an e-mail or a staff member's name holds must stay text."""

import datetime as dt
import re

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from profiledesk.accounts.models import User
from profiledesk.tickets.models import State, TicketEvent
from profiledesk.tickets.services import ticket_comment
from profiledesk.tickets.timeline_rows import timeline_html
from tests.conftest import signed_in
from tests.factories import claimed
from tests.verification.helpers import open_ticket

# The loop templates/tickets/_timeline.html printed before (main at 0d3d918), verbatim.
DJANGO_LOOP = Template(
    """{% load staff_tags %}{% for ev in timeline %}
    <li class="list-group-item small">
      <time datetime="{{ ev.at|date:'c' }}">{{ ev.at|date:"Y-m-d H:i" }}</time> · <strong>{{ ev.actor|staff_name }}</strong> ·
      {% if ev.kind == "transition" %}{{ ev.from_state_label }} → {{ ev.to_state_label }}{% else %}{{ ev.get_kind_display }}{% endif %}
      {% if ev.message %}<div class="mt-1 text-break">{{ ev.message|linebreaksbr }}</div>{% endif %}
    </li>
  {% endfor %}"""  # noqa: E501 (the template's lines as they were)
)

ZONES = ["UTC", "Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "a & b < c > d ' \"",
    "{{ 7*7 }} {% if %} ${x}",
    "line one\r\nline two\rline three\n",
]

texts = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40))


def _normal(html: str) -> str:
    # Whitespace and the spelling of an escaped quote aside (markupsafe: &#34; &#39;).
    html = str(html).replace("&#34;", "&quot;").replace("&#39;", "&#x27;")
    html = re.sub(r"\s+", " ", html)
    return re.sub(r">\s+<", "><", html).strip()


def _event(kind, at, actor, message, from_state="", to_state="") -> TicketEvent:
    return TicketEvent(
        kind=kind,
        at=at,
        actor=actor,
        message=message,
        from_state=from_state,
        to_state=to_state,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(ZONES),
    at=st.datetimes(
        min_value=dt.datetime(1990, 1, 1),  # noqa: DTZ001 (hypothesis wants them naive)
        max_value=dt.datetime(2090, 1, 1),  # noqa: DTZ001
        timezones=st.just(dt.UTC),
    ),
    kind=st.sampled_from([k.value for k in TicketEvent.Kind]),
    states=st.tuples(st.sampled_from(State.values), st.sampled_from(State.values)),
    message=texts,
    first=texts,
    last=texts,
    username=st.sampled_from(["agent", "<b>x</b>", "o'neil"]),
    nobody=st.booleans(),
)
def test_the_jinja_events_match_the_django_loop(
    zone, at, kind, states, message, first, last, username, nobody
):
    actor = None if nobody else User(username=username, first_name=first, last_name=last)
    events = [
        _event(kind, at, actor, message, *states),
        _event(TicketEvent.Kind.TRANSITION, at + dt.timedelta(minutes=3), None, "", *states),
    ]
    with timezone.override(zone):
        expected = DJANGO_LOOP.render(Context({"timeline": events}))
        drawn = timeline_html(events)
    assert _normal(drawn) == _normal(expected)


@pytest.mark.django_db
def test_hostile_values_stay_text_on_the_ticket_page(customer, agent):
    ticket = claimed(open_ticket(customer, agent), agent)
    agent.first_name = "<img src=x onerror=alert(1)>"
    agent.save()
    ticket_comment(ticket=ticket, by=agent, body="<script>alert('x')</script>\nsecond & line")
    html = signed_in(agent).get(reverse("tickets:detail", args=[ticket.reference])).content
    timeline = _normal(html.decode().split('data-testid="timeline">')[1].split("</ol>")[0])
    assert "<script>" not in timeline and "<img" not in timeline
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;<br>second &amp; line" in timeline
    assert "&lt;img src=x onerror=alert(1)&gt;" in timeline
