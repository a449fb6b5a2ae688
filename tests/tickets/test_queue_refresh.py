"""The queue's background refresh is a conditional GET (issue 20): 304 only means "the list
you have is still right" — for this person, with these rights, at this minute — and never
hides a change or serves a list to someone who may no longer see it."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse

from profiledesk.clients.models import Membership
from profiledesk.tickets.models import ChangeItem, RiskLevel, State
from profiledesk.tickets.queue_clock import epoch_us
from profiledesk.tickets.services import ticket_claim
from tests.conftest import make_staff, signed_in
from tests.tickets.queue_helpers import queue_ticket

QUEUE = reverse("tickets:queue")
HTMX = {"HX-Request": "true", "X-Desk-Background": "1"}
MINUTE = dt.datetime(2026, 3, 2, 10, 0, 10, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(MINUTE, tick=False) as traveller:
        yield traveller


@pytest.fixture
def listed(northwind, customer, clock):
    """Two Northwind tickets in the agent's queue."""
    return [
        queue_ticket(northwind, customer=customer, due_in=dt.timedelta(hours=2)),
        queue_ticket(northwind, customer=customer, due_in=dt.timedelta(hours=3)),
    ]


def opened(user):
    """A signed-in browser that has the queue page open (which gave it its CSRF cookie)."""
    http = signed_in(user)
    http.get(QUEUE)
    return http


def refresh(http, etag=None, url=QUEUE):
    headers = dict(HTMX)
    if etag:
        headers["If-None-Match"] = etag
    return http.get(url, headers=headers)


def test_nothing_changed_is_a_304_without_a_body(listed, agent):
    http = opened(agent)
    first = refresh(http)
    assert first.status_code == 200 and first["ETag"]
    again = refresh(http, first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


def test_a_claim_by_someone_else_is_a_new_list(listed, agent, personas):
    http = opened(agent)
    etag = refresh(http)["ETag"]
    ticket_claim(ticket=listed[0], by=personas["supervisor"])
    response = refresh(http, etag)
    assert response.status_code == 200
    assert personas["supervisor"].get_full_name() in response.content.decode()
    assert response["ETag"] != etag


def test_a_new_ticket_is_a_new_list(listed, agent, northwind, customer):
    http = opened(agent)
    etag = refresh(http)["ETag"]
    new = queue_ticket(northwind, customer=customer, due_in=dt.timedelta(hours=1))
    response = refresh(http, etag)
    assert response.status_code == 200 and new.reference in response.content.decode()


def _change(what, ticket, personas, northwind):
    """Each thing a row prints, changed the way the desk changes it."""
    if what == "state":
        ticket.state = State.VERIFYING
    elif what == "risk":
        ticket.risk_level = RiskLevel.CRITICAL
    elif what == "sla_due":
        ticket.sla_due_at += dt.timedelta(hours=5)
    elif what == "sla_paused":
        ticket.sla_paused_at = MINUTE
    elif what == "channel":
        ticket.channel = "chat"
    elif what == "category":
        ticket.category = "billing"
    elif what == "summary":
        ticket.summary = "A new subject"
    elif what == "change_item":  # written through the ORM: bumps the ticket's version
        ChangeItem.objects.create(
            ticket=ticket, section="contact", field="email", label="E-mail", new_display="x"
        )
        return
    elif what == "customer_name":
        personal = ticket.customer.personal
        personal.legal_name = "Grace Brewster Hopper"
        personal.save()
        return
    elif what == "client_name":
        northwind.name = "Northwind Power"
        northwind.save()
        return
    ticket.save()


CHANGES = [
    "state",
    "risk",
    "sla_due",
    "sla_paused",
    "channel",
    "category",
    "summary",
    "change_item",
    "customer_name",
    "client_name",
]


@pytest.mark.parametrize("what", CHANGES)
def test_every_thing_a_row_prints_when_changed_is_a_new_list(
    what, listed, agent, personas, northwind
):
    http = opened(agent)
    etag = refresh(http)["ETag"]
    _change(what, listed[0], personas, northwind)
    assert refresh(http, etag).status_code == 200


def test_an_assignee_renamed_is_a_new_list(listed, agent, personas):
    supervisor = personas["supervisor"]
    listed[0].assignee = supervisor
    listed[0].save()
    http = opened(agent)
    etag = refresh(http)["ETag"]
    supervisor.first_name = "Renamed"
    supervisor.save()
    assert refresh(http, etag).status_code == 200


def test_the_next_minute_is_a_304_the_browser_moves_the_texts_on(listed, agent, clock):
    """The SLA and age texts move with the time alone: the browser moves them on between
    refreshes (static/desk/clock.js, the same texts: test_queue_clock_js), so an unchanged
    list stays a 304 across minutes, and each row carries the instants they come from."""
    http = opened(agent)
    first = refresh(http)
    page = first.content.decode()
    assert "due in 2 h" in page  # as of 10:00, due 12:00:10
    due = epoch_us(listed[0].sla_due_at)
    assert f'data-clock="sla" data-at="{due}"' in page
    assert f'data-clock="age" data-at="{epoch_us(listed[0].created_at)}"' in page
    clock.shift(dt.timedelta(minutes=5))  # 10:05:10: "due in 1 h 55 min" in the browser
    again = refresh(http, first["ETag"])
    assert again.status_code == 304 and again.content == b""


def test_a_row_changing_sla_band_is_a_new_list(listed, agent, clock, northwind, customer):
    """The band colours the badge (on time, due soon, breached): the server renders the
    list again at the minute a row's band changes."""
    soon = queue_ticket(northwind, customer=customer, due_in=dt.timedelta(minutes=64))
    http = opened(agent)
    etag = refresh(http)["ETag"]
    clock.shift(dt.timedelta(minutes=3, seconds=50))  # 10:04:00: 1 h 0 min 10 s left, on time
    assert refresh(http, etag).status_code == 304
    clock.shift(dt.timedelta(minutes=1))  # 10:05: 59 min left, due soon
    later = refresh(http, etag)
    assert later.status_code == 200
    row = later.content.decode().split(f'data-reference="{soon.reference}"')[1].split("</tr>")[0]
    assert "sla-due_soon" in row and "due in 59 min" in row


def test_a_list_filtered_by_sla_gains_the_ticket_the_time_brings(
    listed, agent, clock, northwind, customer
):
    """Which tickets a list filtered by SLA or age holds changes with the time alone: a
    ticket coming due soon joins the "due soon" list at its minute, nothing written."""
    soon = queue_ticket(northwind, customer=customer, due_in=dt.timedelta(minutes=62))
    http = opened(agent)
    url = QUEUE + "?sla=due_soon"
    first = refresh(http, url=url)
    assert first.status_code == 200 and soon.reference not in first.content.decode()
    clock.shift(dt.timedelta(minutes=1))  # 10:01: still 1 h 1 min left
    assert refresh(http, first["ETag"], url=url).status_code == 304
    clock.shift(dt.timedelta(minutes=1, seconds=50))  # 10:03: 59 min left
    later = refresh(http, first["ETag"], url=url)
    assert later.status_code == 200 and soon.reference in later.content.decode()


def test_an_age_filtered_list_gains_the_tickets_the_time_brings(listed, agent, clock):
    http = opened(agent)
    url = QUEUE + "?age=1h-4h"
    first = refresh(http, url=url)  # 10:00: both opened 59 min 50 s ago
    assert listed[0].reference not in first.content.decode()
    clock.shift(dt.timedelta(minutes=1))  # 10:01: an hour and more
    later = refresh(http, first["ETag"], url=url)
    assert later.status_code == 200 and listed[0].reference in later.content.decode()
    clock.shift(dt.timedelta(minutes=10))
    assert refresh(http, later["ETag"], url=url).status_code == 304


def test_a_paused_clock_carries_no_instant_its_text_stands(listed, agent):
    """A clock stopped while the ticket waits on the customer keeps its text; the browser
    must not move it."""
    listed[0].sla_paused_at = listed[0].created_at
    listed[0].save()
    page = refresh(opened(agent)).content.decode()
    assert "clock paused" in page
    assert page.count('data-clock="sla"') == 1  # the running one only


def test_another_clients_change_is_still_a_304_and_never_shows(listed, agent, solaris):
    http = opened(agent)
    etag = refresh(http)["ETag"]
    theirs = queue_ticket(solaris, due_in=dt.timedelta(minutes=5))
    response = refresh(http, etag)
    assert response.status_code == 304
    assert theirs.reference not in refresh(http).content.decode()


def test_someone_elses_etag_is_not_my_304(listed, agent, northwind):
    other_agent = make_staff("agent2", "agent", northwind)
    theirs = refresh(opened(other_agent))["ETag"]
    mine = refresh(opened(agent), theirs)
    assert mine.status_code == 200 and mine["ETag"] != theirs


def test_a_new_session_is_not_served_the_old_sessions_304(listed, agent):
    etag = refresh(opened(agent))["ETag"]
    assert refresh(opened(agent), etag).status_code == 200


def test_another_filter_or_page_is_not_the_same_list(listed, agent):
    http = opened(agent)
    etag = refresh(http)["ETag"]
    assert refresh(http, etag, url=QUEUE + "?risk=low").status_code == 200
    assert refresh(http, etag, url=QUEUE + "?sort=age").status_code == 200


def test_a_staff_member_who_lost_the_client_gets_the_list_without_it(listed, agent, northwind):
    http = opened(agent)
    etag = refresh(http)["ETag"]
    Membership.objects.filter(user=agent, client=northwind).delete()
    response = refresh(http, etag)
    assert response.status_code == 200
    assert listed[0].reference not in response.content.decode()


def test_a_staff_member_who_lost_the_permission_is_refused_not_told_304(listed, agent):
    http = opened(agent)
    etag = refresh(http)["ETag"]
    agent.groups.clear()
    agent.user_permissions.clear()
    assert refresh(http, etag).status_code == 403


def test_losing_the_claim_permission_is_a_new_list(listed, agent):
    http = opened(agent)
    first = refresh(http)
    assert "data-claim" in first.content.decode()
    group = agent.groups.get()
    group.permissions.remove(Permission.objects.get(codename="work_ticket"))
    response = refresh(http, first["ETag"])
    assert response.status_code == 200 and "data-claim" not in response.content.decode()


def test_a_full_page_load_is_always_rendered(listed, agent):
    # The page carries the flashed messages and the filters: only the list is conditional.
    http = opened(agent)
    etag = refresh(http)["ETag"]
    page = http.get(QUEUE, headers={"If-None-Match": etag})
    assert page.status_code == 200 and "ETag" not in page


def test_no_cache_may_keep_the_list(listed, agent):
    http = opened(agent)
    first = refresh(http)
    again = refresh(http, first["ETag"])
    for response in (first, again):
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]


def test_filters_in_error_are_never_a_304(listed, agent):
    http = opened(agent)
    response = refresh(http, '"anything"', url=QUEUE + "?state=closed")
    assert response.status_code == 400 and "ETag" not in response


def test_a_304_costs_four_queries_as_the_bare_view_and_no_page_read(
    listed, agent, django_assert_num_queries
):
    http = opened(agent)
    etag = refresh(http)["ETag"]
    # Expect 4 queries, and the queue's stamps from the cache:
    #  1. the session   2. the staff member   3. their TOTP device
    #  4. who they are on the queue: their clients and ticket permissions, read fresh
    with django_assert_num_queries(4):
        assert refresh(http, etag).status_code == 304


def test_a_changed_list_costs_four_queries_more_than_a_304(
    listed, agent, personas, django_assert_num_queries
):
    http = opened(agent)
    etag = refresh(http)["ETag"]
    ticket_claim(ticket=listed[0], by=personas["supervisor"])
    # The four of a 304 (the fourth, `queue_access`, also says what they may do: no
    # has_perm read), then 5. the clients (names, time zones) 6.-7. the rows' printed
    # values and the count, capped (`queue_fingerprint`: the stamps moved, so the rows
    # decide) and 8. the page of tickets (customer, assignee, client joined, summary). Not
    # the role names: the layout's context processor reads them only when a template
    # prints them, and the list does not.
    with django_assert_num_queries(8):
        assert refresh(http, etag).status_code == 200


def test_a_write_the_list_does_not_print_is_a_304_that_takes_the_new_stamps(
    listed, agent, northwind, customer, django_assert_num_queries
):
    """On a busy floor every write renews the client's stamps, so most polls find them
    moved: the rows' printed values decide, and an unchanged list is still a 304 — with
    an ETag naming the new stamps, so the next poll is the cheap one again."""
    http = opened(agent)
    first = refresh(http, url=QUEUE + "?sort=due")
    # A ticket of the client on no page this list shows (it is cancelled).
    queue_ticket(northwind, customer=customer, due_in=dt.timedelta(hours=1), state=State.CANCELLED)
    with django_assert_num_queries(7):  # the rows decide: no render
        second = refresh(http, first["ETag"], url=QUEUE + "?sort=due")
    assert second.status_code == 304 and second.content == b""
    assert second["ETag"] != first["ETag"]
    with django_assert_num_queries(4):  # the new stamps are the browser's now
        third = refresh(http, second["ETag"], url=QUEUE + "?sort=due")
    assert third.status_code == 304 and third["ETag"] == second["ETag"]


def test_an_etag_made_of_someone_elses_parts_is_no_304(listed, agent, northwind):
    """Either validator of an ETag must be this person's own: the rows' part of another
    person's list (same rows, same minute) never stands for mine."""
    other = make_staff("agent3", "agent", northwind)
    theirs = refresh(opened(other))["ETag"]
    mine = opened(agent)
    queue_ticket(northwind, due_in=dt.timedelta(hours=9), state=State.CANCELLED)  # stamps move
    assert refresh(mine, theirs).status_code == 200
