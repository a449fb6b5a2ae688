"""What each queue row prints, worked out once in Python (issue 20).

The queue is the desk's most requested page: 50 rows, refreshed every 20 s by every agent.
Rendered the plain way each row reversed three URLs, included two templates, looked its
labels up through `get_*_display` (which rebuilds the field's choices dict each call),
formatted four dates through template filters and translated a dozen attribute labels:
about 80 % of the page's time. Here the labels are read once a page, the URLs are built by
formatting one reversed pattern, and the rows' template only prints ready strings. That
template (`templates/tickets/_queue_rows.html`) is rendered by Jinja2, with autoescape on:
Django's template engine spends a few microseconds on every variable it prints, and a page
of rows prints about 1,500 (docs/performance.md, "Queue rendering").
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django import forms
from django.db.models import Field
from django.urls import reverse
from django.utils import dateformat, formats, timezone, translation
from django.utils.translation import gettext as _
from markupsafe import Markup, escape

from profiledesk.accounts.naming import staff_name_of
from profiledesk.browser.filter_fields import filter_fields
from profiledesk.browser.jinja import jinja_environment

from .models import Ticket
from .queue_clock import ClockTexts, epoch_us
from .selectors import QueueTicket, change_summary

# A reference as the URL patterns are reversed with, then replaced by each row's own
# (references are "PD-" and digits: nothing to quote).
_MARK = "PD-000000"


@dataclass(frozen=True, slots=True)
class QueueLine:
    """One queue row, every value a string or flag the template prints as it is."""

    pk: int
    reference: str
    version: int
    url: str  # the ticket page
    claim_url: str
    reassign_url: str
    summary: str
    customer_name: str  # "" when the ticket is not matched to a customer yet
    customer_number: str
    client_id: int
    client_name: str
    category: str
    channel: str
    state: str
    state_label: str
    risk: str
    risk_label: str
    assignee_id: int | None
    assignee_name: str
    created_iso: str
    created_title: str
    age: str
    created_us: int  # microseconds since the epoch, for the browser's clock (queue_clock.py)
    sla: str  # sla_status's status: "ok", "due_soon", "breached"
    sla_text: str
    due_us: int | None  # as created_us; None while the clock is paused (its text stands)
    due_iso: str
    due_title: str
    reassign_label: str  # "Reassign PD-000123 to (username)", for its field's label


def _labels(field: str) -> dict[str, str]:
    """A choice field's labels in the current language (read once a language: the choices
    are the model's, fixed in code; the dict is shared, never changed)."""
    return _labels_in(field, translation.get_language())


@lru_cache(maxsize=64)
def _labels_in(field: str, language: str | None) -> dict[str, str]:
    choices = Ticket._meta.get_field(field)
    assert isinstance(choices, Field)
    return {str(k): str(v) for k, v in choices.flatchoices}


# Format characters (django.utils.dateformat) whose text depends on the date alone, or on
# the hour and minute alone; the others (seconds, time zone, DST) are worked out each time.
_DATE_CHARS = frozenset("bdDEFjlLmMnNoStwWyYz")
_TIME_CHARS = frozenset("aAfgGhHiP")


class DateTitles:
    """`dateformat.format(value, fmt)` for the many local datetimes of one page. Django's
    splits the format, builds a formatter and translates month names and "p.m." on every
    call (~40 µs); here the format is split once and each character's text is kept for the
    date (or the hour and minute) it depends on, so a page's rows mostly reuse them. One
    page, one language and time zone: make a new one a page."""

    def __init__(self, fmt: str) -> None:
        self._parts: list[tuple[bool, str]] = []
        for i, piece in enumerate(dateformat.re_formatchars.split(fmt)):
            if i % 2:
                self._parts.append((True, piece))
            elif piece:
                self._parts.append((False, dateformat.re_escaped.sub(r"\1", piece)))
        self._memo: dict[tuple, str] = {}

    def __call__(self, value: dt.datetime) -> str:
        formatter = None
        texts = []
        for is_char, piece in self._parts:
            if not is_char:
                texts.append(piece)
                continue
            key: tuple | None = None
            if piece in _DATE_CHARS:
                key = (piece, value.year, value.month, value.day)
            elif piece in _TIME_CHARS:
                key = (piece, value.hour, value.minute)
            text = self._memo.get(key) if key else None
            if text is None:
                formatter = formatter or dateformat.DateFormat(value)
                text = str(getattr(formatter, piece)())
                if key:
                    self._memo[key] = text
            texts.append(text)
        return "".join(texts)


def _url_pattern(name: str) -> str:
    return reverse(name, args=[_MARK])


def queue_lines(tickets: Iterable[QueueTicket], *, now: dt.datetime) -> list[QueueLine]:
    """The rows of a queue page (`queue_for`'s page: raw values, customer, assignee and
    client joined, summary annotated). No query."""
    states, risks = _labels("state"), _labels("risk_level")
    categories, channels = _labels("category"), _labels("channel")
    detail, claim, reassign = (
        _url_pattern(name) for name in ("tickets:detail", "tickets:claim", "tickets:reassign")
    )
    title = DateTitles(str(formats.get_format("DATETIME_FORMAT")))
    reassign_text = _("Reassign %(reference)s to (username)")
    texts = ClockTexts(now)
    zone = timezone.get_current_timezone()
    lines = []
    for ticket in tickets:
        reference = ticket.reference or ""
        created = ticket.created_at.astimezone(zone)  # timezone.localtime, the zone read once
        due = ticket.sla_due_at.astimezone(zone)
        sla, sla_text = texts.sla(ticket.sla_due_at, ticket.sla_paused_at)
        number = (ticket.customer_number or "") if ticket.customer_id is not None else ""
        lines.append(
            QueueLine(
                pk=ticket.pk,
                reference=reference,
                version=ticket.version,
                url=detail.replace(_MARK, reference),
                claim_url=claim.replace(_MARK, reference),
                reassign_url=reassign.replace(_MARK, reference),
                summary=change_summary(ticket),
                # The legal name, or the customer number when no details are captured.
                customer_name=(ticket.customer_legal_name or number) if number else "",
                customer_number=number,
                client_id=ticket.client_id,
                client_name=ticket.client_name,
                category=categories.get(ticket.category, ticket.category),
                channel=channels.get(ticket.channel, ticket.channel),
                state=ticket.state,
                state_label=states.get(ticket.state, ticket.state),
                risk=ticket.risk_level,
                risk_label=risks.get(ticket.risk_level, ticket.risk_level),
                assignee_id=ticket.assignee_id,
                assignee_name=staff_name_of(
                    username=ticket.assignee_username or "",
                    first_name=ticket.assignee_first_name or "",
                    last_name=ticket.assignee_last_name or "",
                )
                if ticket.assignee_id
                else "",
                created_iso=created.isoformat(),  # the |date:"c" of old
                created_title=title(created),
                age=texts.age(ticket.created_at),
                created_us=epoch_us(ticket.created_at),
                sla=str(sla),
                sla_text=str(sla_text),
                due_us=None if ticket.sla_paused_at is not None else epoch_us(ticket.sla_due_at),
                due_iso=due.isoformat(),
                due_title=title(due),
                reassign_label=reassign_text % {"reference": reference},
            )
        )
    return lines


def queue_rows_html(
    lines: list[QueueLine],
    *,
    user_id: int,
    show_client: bool,
    can_work: bool,
    can_reassign: bool,
    here: str,
    csrf_token: str,
) -> Markup:
    """The queue table's rows (`<tr>`s), rendered, every value escaped by Jinja2's
    autoescape. Jinja2 hands its output over through the `__html__` protocol, as Markup
    (a `str` that says "escaped already"), which the Django template around it prints as
    it is; nothing is marked safe here."""
    labels = {
        "customer": _("Customer"),
        "client": _("Client"),
        "category": _("Category"),
        "state": _("State"),
        "assignee": _("Assignee"),
        "age": _("Age"),
        "sla": _("SLA"),
        "risk": _("Risk"),
        "me": _("Me"),
        "unassigned": _("Unassigned"),
        "not_matched": _("Not matched yet"),
        "claim": _("Claim"),
        "reassign": _("Reassign"),
        "assign": _("Assign"),
        "username": _("username"),
    }
    template = jinja_environment().get_template("tickets/_queue_rows.html")
    # The page's constants escaped once here, not once a row: `escape` gives Markup, which
    # autoescape prints as it is.
    return template.make_module(
        {
            "rows": lines,
            "labels": {name: escape(text) for name, text in labels.items()},
            "user_id": user_id,
            "show_client": show_client,
            "can_work": can_work,
            "can_reassign": can_reassign,
            "here": escape(here),
            "csrf_token": escape(csrf_token),
        }
    ).__html__()


def queue_filters_html(form: forms.Form) -> Markup | None:
    """The queue's filter fields (label and control each), rendered by Jinja2: Django's
    widgets render a template a `<select>` and a template a option, ~70 a page. None when
    the form has errors or a field Django must print (its widget's own markup: aria-invalid,
    the error's id); the page then prints the fields the Django way."""
    fields = filter_fields(form)
    if fields is None:
        return None
    template = jinja_environment().get_template("tickets/_queue_filters.html")
    return template.make_module({"fields": fields}).__html__()
