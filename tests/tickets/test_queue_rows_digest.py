"""The list's rows digest, kept under the stamps (tickets/queue_validators.py, issue 20):
after a write somewhere in a client, the first refresh of a list reads its rows; the
other agents' refreshes of that same list find their digest in the cache and answer 304
at the cost of a 304 — and it never stands for another client set, another person's "my
tickets", a changed list, or a list the asker may no longer see."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.cache import cache

from profiledesk.accounts.roles import Role
from profiledesk.clients.models import Membership
from profiledesk.tickets.models import State
from profiledesk.tickets.services import ticket_claim
from tests.conftest import make_staff
from tests.tickets.queue_helpers import queue_ticket
from tests.tickets.test_queue_refresh import MINUTE, QUEUE, opened, refresh


@pytest.fixture
def listed(northwind, customer):
    """Two Northwind tickets in the agents' queues, the clock stopped within a minute."""
    with time_machine.travel(MINUTE, tick=False):
        yield [
            queue_ticket(northwind, customer=customer, due_in=dt.timedelta(hours=2)),
            queue_ticket(northwind, customer=customer, due_in=dt.timedelta(hours=3)),
        ]


def _unprinted_write(client, customer):
    """A write that renews the client's stamps and prints nowhere (a cancelled ticket)."""
    queue_ticket(client, customer=customer, due_in=dt.timedelta(hours=1), state=State.CANCELLED)


@pytest.fixture
def colleague(northwind):
    return make_staff("colleague", Role.AGENT, northwind)


def test_after_a_write_the_second_agent_is_told_304_without_reading_rows(
    listed, agent, colleague, northwind, customer, django_assert_num_queries
):
    mine, theirs = opened(agent), opened(colleague)
    my_etag, their_etag = refresh(mine)["ETag"], refresh(theirs)["ETag"]
    _unprinted_write(northwind, customer)
    with django_assert_num_queries(7):  # the first reads the rows (no render)
        assert refresh(mine, my_etag).status_code == 304
    # The four queries of a 304: the session, the user, the device, who asks (read fresh).
    with django_assert_num_queries(4):
        again = refresh(theirs, their_etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] != their_etag  # it names the new stamps: the next poll is cheaper


def test_a_changed_list_is_never_served_from_the_digest(listed, agent, colleague, personas):
    mine, theirs = opened(agent), opened(colleague)
    my_etag, their_etag = refresh(mine)["ETag"], refresh(theirs)["ETag"]
    ticket_claim(ticket=listed[0], by=personas["supervisor"])
    assert refresh(mine, my_etag).status_code == 200  # kept the new list's digest
    response = refresh(theirs, their_etag)
    assert response.status_code == 200
    assert personas["supervisor"].get_full_name() in response.content.decode()


def test_another_client_set_never_shares_a_digest(listed, agent, northwind, solaris, customer):
    """A supervisor of both clients sees another list than the Northwind agent under the
    same URL: a Solaris ticket coming in is new for them, whatever the agent's refresh
    kept."""
    both = make_staff("both", Role.SUPERVISOR, northwind, solaris)
    mine, theirs = opened(agent), opened(both)
    my_etag, their_etag = refresh(mine)["ETag"], refresh(theirs)["ETag"]
    new = queue_ticket(solaris, due_in=dt.timedelta(minutes=30))
    _unprinted_write(northwind, customer)
    assert refresh(mine, my_etag).status_code == 304
    response = refresh(theirs, their_etag)
    assert response.status_code == 200 and new.reference in response.content.decode()


def test_my_tickets_are_mine_not_a_colleagues(listed, agent, colleague, personas):
    """ "Assigned to me" is a list a person: a ticket given to the colleague is new in
    their list even after the agent's refresh of the same URL kept its digest."""
    url = QUEUE + "?assignee=me"
    mine, theirs = opened(agent), opened(colleague)
    my_etag, their_etag = refresh(mine, url=url)["ETag"], refresh(theirs, url=url)["ETag"]
    ticket_claim(ticket=listed[0], by=colleague)
    assert refresh(mine, my_etag, url=url).status_code == 304  # still nothing of mine
    response = refresh(theirs, their_etag, url=url)
    assert response.status_code == 200 and listed[0].reference in response.content.decode()


def test_a_lost_permission_or_client_is_not_answered_from_the_digest(
    listed, agent, colleague, northwind, customer
):
    mine, theirs = opened(agent), opened(colleague)
    my_etag, their_etag = refresh(mine)["ETag"], refresh(theirs)["ETag"]
    Membership.objects.filter(user=colleague).delete()
    _unprinted_write(northwind, customer)
    assert refresh(mine, my_etag).status_code == 304
    response = refresh(theirs, their_etag)
    assert response.status_code == 200 and listed[0].reference not in response.content.decode()
    colleague.user_permissions.clear()
    colleague.groups.clear()
    colleague.user_permissions.add(Permission.objects.get(codename="view_customer"))
    assert refresh(theirs, their_etag).status_code == 403


def test_a_lost_claim_permission_changes_the_etag_not_only_the_digest(
    listed, agent, colleague, northwind, customer
):
    """The digest is the list's; what the asker may do (claim, reassign: the buttons)
    is theirs, read fresh: a digest found in the cache does not keep a Claim button."""
    mine, theirs = opened(agent), opened(colleague)
    my_etag, their_etag = refresh(mine)["ETag"], refresh(theirs)["ETag"]
    group = colleague.groups.get()
    colleague.groups.remove(group)
    for codename in ("view_ticket",):
        colleague.user_permissions.add(Permission.objects.get(codename=codename))
    _unprinted_write(northwind, customer)
    assert refresh(mine, my_etag).status_code == 304
    response = refresh(theirs, their_etag)
    assert response.status_code == 200 and "data-claim" not in response.content.decode()


def test_a_flushed_cache_reads_the_rows(listed, agent, colleague, northwind, customer):
    mine, theirs = opened(agent), opened(colleague)
    my_etag, their_etag = refresh(mine)["ETag"], refresh(theirs)["ETag"]
    _unprinted_write(northwind, customer)
    assert refresh(mine, my_etag).status_code == 304
    cache.clear()  # the stamps are new tokens, the digest gone: the rows decide
    assert refresh(theirs, their_etag).status_code == 304
