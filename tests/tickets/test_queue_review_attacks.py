"""The queue's refresh, attacked (issue 20 review): what the browser's clock reads from the
list (`data-at`, `data-clock-words`) is numbers and escaped JSON whatever people typed,
and a rows digest kept in the cache never stands for a list read in another language or
time zone (the URL's dates are parsed in the language's formats)."""

import datetime as dt
import html
import json
import re
from types import SimpleNamespace

from django.test import RequestFactory
from django.utils import timezone, translation

from profiledesk.accounts.roles import Role
from profiledesk.tickets.queue_validators import rows_key
from tests.conftest import make_staff
from tests.factories import complete_customer
from tests.tickets.queue_helpers import queue_ticket
from tests.tickets.test_queue_refresh import QUEUE, opened, refresh

HOSTILE = '"><img src=x onerror="alert(1)">&\u2028'


def test_hostile_names_never_reach_the_clock_attributes_as_markup(northwind, agent):
    northwind.name = HOSTILE
    northwind.save()
    colleague = make_staff("colleague", Role.AGENT, northwind)
    colleague.first_name = HOSTILE
    colleague.save()
    customer = complete_customer(northwind, legal_name=HOSTILE)
    ticket = queue_ticket(northwind, customer=customer, assignee=colleague)
    ticket.summary = HOSTILE
    ticket.save()
    queue_ticket(northwind, customer=customer, paused_at=timezone.now())
    page = refresh(opened(agent)).content.decode()
    assert "<img src=x" not in page
    # Every instant the browser counts from is digits, and only the two clock kinds.
    assert re.findall(r'data-clock="(\w+)" data-at="([^"]*)"', page)
    for kind, at in re.findall(r'data-clock="([^"]*)" data-at="([^"]*)"', page):
        assert kind in ("age", "sla") and at.isdigit()
    assert page.count('data-clock="sla"') == 1  # the paused clock carries no instant
    (words,) = re.findall(r'data-clock-words="([^"]*)"', page)
    assert set(json.loads(html.unescape(words))) >= {"breached", "dueIn", "age", "updatedAt"}
    (now,) = re.findall(r'data-clock-now="([^"]*)"', page)
    assert now.isdigit()


def test_a_rows_digest_is_kept_apart_for_each_language_and_time_zone(northwind):
    """The same URL's dates are other days in Spanish ("01/02/2026": 1 February): a
    digest kept by an English reader must not decide a Spanish reader's 304."""
    request = RequestFactory().get(QUEUE, {"opened_since": "01/02/2026"})
    request.user = SimpleNamespace(pk=1)
    access = SimpleNamespace(client_ids=(northwind.pk,))
    as_of = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)

    def key() -> str:
        return rows_key(request, access=access, stamps={"s": "1"}, as_of=as_of, with_people=False)

    with translation.override("en"):
        english = key()
        with timezone.override("Europe/Madrid"):
            madrid = key()
    with translation.override("es"):
        spanish = key()
    assert len({english, spanish, madrid}) == 3
    with translation.override("en"):
        assert key() == english  # and the same list's readers still share it
