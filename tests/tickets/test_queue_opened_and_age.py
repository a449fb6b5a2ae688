"""The queue's dashboard filters: opened on local dates (each client's own day) and the
age band. Scoped like every other filter, bad input a 400 with the field's message, and
the page's query budget unchanged."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from profiledesk.tickets.models import Ticket
from profiledesk.tickets.selectors import AgeBand
from tests.conftest import make_staff, signed_in
from tests.tickets.queue_helpers import many_open_tickets, queue_ticket, references_in

QUEUE = reverse("tickets:queue")


def opened_at(ticket: Ticket, when: dt.datetime) -> Ticket:
    ticket.created_at = when
    ticket.save(update_fields=["created_at"])
    return ticket


@pytest.fixture
def both(northwind, solaris):
    return make_staff("both", "supervisor", northwind, solaris)


def test_opened_dates_are_each_clients_own_day(northwind, solaris, both):
    # 23:30 UTC on 3 Dec is 3 Dec in London (Northwind, UTC) but 4 Dec in Madrid (Solaris).
    late = dt.datetime(2026, 12, 3, 23, 30, tzinfo=dt.UTC)
    london = opened_at(queue_ticket(northwind), late)
    madrid = opened_at(queue_ticket(solaris), late)
    http = signed_in(both)
    on_3rd = http.get(QUEUE, {"opened_since": "2026-12-03", "opened_until": "2026-12-03"})
    on_4th = http.get(QUEUE, {"opened_since": "2026-12-04", "opened_until": "2026-12-04"})
    assert references_in(on_3rd) == [london.reference]
    assert references_in(on_4th) == [madrid.reference]


def test_a_madrid_day_starts_at_its_own_midnight(solaris, both):
    # 23:00 UTC on 3 Dec is midnight starting 4 Dec in Madrid (UTC+1 in winter).
    before = opened_at(queue_ticket(solaris), dt.datetime(2026, 12, 3, 22, 59, tzinfo=dt.UTC))
    at = opened_at(queue_ticket(solaris), dt.datetime(2026, 12, 3, 23, 0, tzinfo=dt.UTC))
    response = signed_in(both).get(
        QUEUE, {"client": solaris.pk, "opened_since": "2026-12-04", "opened_until": "2026-12-04"}
    )
    assert references_in(response) == [at.reference]
    assert before.reference not in response.content.decode()


def test_an_open_ended_range_keeps_everything_on_its_open_side(northwind, agent):
    old = opened_at(queue_ticket(northwind), dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC))
    new = opened_at(queue_ticket(northwind), dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
    http = signed_in(agent)
    assert references_in(http.get(QUEUE, {"opened_since": "2026-11-15"})) == [new.reference]
    assert references_in(http.get(QUEUE, {"opened_until": "2026-11-15"})) == [old.reference]


def test_the_dates_never_reach_another_clients_tickets(northwind, solaris, personas):
    # The outsider serves Solaris only: Northwind's ticket of that day stays out.
    day = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)
    opened_at(queue_ticket(northwind), day)
    mine = opened_at(queue_ticket(solaris), day)
    response = signed_in(personas["outsider"]).get(
        QUEUE, {"opened_since": "2026-12-03", "opened_until": "2026-12-03"}
    )
    assert references_in(response) == [mine.reference]
    refused = signed_in(personas["outsider"]).get(
        QUEUE, {"client": northwind.pk, "opened_since": "2026-12-03"}
    )
    assert refused.status_code == 400 and references_in(refused) == []


@pytest.mark.parametrize(
    ("band", "minutes_old", "inside"),
    [
        (AgeBand.UNDER_1H, 59, True),
        (AgeBand.UNDER_1H, 60, False),  # exactly one hour old is 1-4 h
        (AgeBand.H1_4, 60, True),
        (AgeBand.H1_4, 239, True),
        (AgeBand.H1_4, 240, False),
        (AgeBand.H4_24, 240, True),
        (AgeBand.H4_24, 1439, True),
        (AgeBand.D1_3, 1440, True),
        (AgeBand.D1_3, 4319, True),
        (AgeBand.D1_3, 4320, False),
        (AgeBand.OVER_3D, 4320, True),
        (AgeBand.OVER_3D, 4319, False),
    ],
)
def test_the_age_band_holds_the_tickets_of_that_age(northwind, agent, band, minutes_old, inside):
    now = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(now, tick=False):
        ticket = opened_at(queue_ticket(northwind), now - dt.timedelta(minutes=minutes_old))
        listed = references_in(signed_in(agent).get(QUEUE, {"age": band}))
    assert (ticket.reference in listed) is inside


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"age": "forever"}, "age"),
        ({"opened_since": "yesterday"}, "opened_since"),
        ({"opened_since": "2026-02-30"}, "opened_since"),
        ({"opened_until": "9999-12-31"}, "opened_until"),  # a day after it is no date
        ({"opened_since": "0001-01-01"}, "opened_since"),
        ({"opened_since": "2026-12-05", "opened_until": "2026-12-01"}, "opened_until"),
    ],
)
def test_bad_dates_and_bands_are_a_400_with_the_fields_message(northwind, agent, params, field):
    queue_ticket(northwind)
    response = signed_in(agent).get(QUEUE, params)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert references_in(response) == []


def test_the_queue_costs_the_same_queries_with_the_new_filters(
    northwind, personas, customer, django_assert_num_queries
):
    supervisor = personas["supervisor"]
    many_open_tickets(northwind, 30, customer=customer, assignee=supervisor)
    http = signed_in(supervisor)
    today = timezone.now().date().isoformat()
    # Expect the queue's 8 queries (test_queue_view): the client zones come with the
    # clients the page loads already.
    with django_assert_num_queries(8):
        response = http.get(
            QUEUE, {"opened_since": today, "opened_until": today, "age": AgeBand.UNDER_1H}
        )
    assert response.status_code == 200
    assert len(references_in(response)) == 30
