"""The ticket page's timeline, rendered by Jinja2 (issue 20).

Every ticket page prints its events (created, claimed, each move, each comment, each code
sent and checked: a dozen on a worked ticket). Drawn by Django's template engine, each
event's two `|date`s, `|staff_name`, label lookups and `|linebreaksbr` cost a few
microseconds apiece; here each event is worked out once in Python (`EventLine`) and
`templates/tickets/_timeline_events.html` prints ready strings through the shared Jinja2
environment with autoescape on: every value is escaped, nothing is marked safe here (the
comment's line breaks are `<br>`s of the template between escaped lines).
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone
from markupsafe import Markup

from profiledesk.accounts.naming import staff_name
from profiledesk.browser.jinja import jinja_environment

from .models import TicketEvent

# What get_kind_display() answers, without rebuilding the choices' dict for each event.
_KIND_LABELS = dict(TicketEvent.Kind.choices)


@dataclass(frozen=True, slots=True)
class EventLine:
    at_iso: str  # the |date:"c" of the event, in the current time zone
    at_text: str  # "Y-m-d H:i", same zone
    actor: str  # staff_name: "system" when nobody
    what: str  # "Verifying → Ready", or the kind's label
    message_lines: tuple[str, ...]  # the message split at its line breaks; () for none


def _at_text(at: dt.datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}-{at.day:02d} {at.hour:02d}:{at.minute:02d}"


def event_line(event: TicketEvent, zone: dt.tzinfo) -> EventLine:
    at = event.at.astimezone(zone) if timezone.is_aware(event.at) else event.at
    if event.kind == TicketEvent.Kind.TRANSITION:
        what = f"{event.from_state_label} → {event.to_state_label}"
    else:
        what = str(_KIND_LABELS.get(event.kind, event.kind))
    message = event.message or ""
    # As |linebreaksbr: Windows and old Mac line ends are line breaks too.
    lines = tuple(message.replace("\r\n", "\n").replace("\r", "\n").split("\n")) if message else ()
    return EventLine(
        at_iso=at.isoformat(),
        at_text=_at_text(at),
        actor=staff_name(event.actor),
        what=what,
        message_lines=lines,
    )


def timeline_html(events: Iterable[TicketEvent]) -> Markup:
    """The timeline's `<li>`s, every value escaped by Jinja2's autoescape; Markup through
    the `__html__` protocol, which the Django template around it prints as it is."""
    zone = timezone.get_current_timezone()
    lines = [event_line(event, zone) for event in events]
    template = jinja_environment().get_template("tickets/_timeline_events.html")
    return template.make_module({"events": lines}).__html__()
