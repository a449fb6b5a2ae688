"""The queue's stamps (tickets/queue_stamps.py) and who-asks read (`queue_access`): the
background refresh answers 304 from the cache and one query, and is still never a wrong
304 — not after a write in flight, a flushed or unreachable cache, a lost client, group or
permission."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from profiledesk.accounts.roles import Role
from profiledesk.clients.models import Client, Membership
from profiledesk.tickets import queue_stamps
from profiledesk.tickets.models import State
from profiledesk.tickets.selectors import QUEUE_PERMS, queue_access, queue_clients
from tests.conftest import make_staff
from tests.factories import UserFactory
from tests.tickets.queue_helpers import queue_ticket
from tests.tickets.test_queue_refresh import MINUTE, opened, refresh


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


def _stamps(*clients):
    return queue_stamps.stamps(client_ids=[c.pk for c in clients], create=False)


# --- who asks: one query, the same answer as has_perm and clients_for ----------------------


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    active=st.booleans(),
    superuser=st.booleans(),
    roles=st.sets(st.sampled_from([r.value for r in Role])),
    direct=st.sets(st.sampled_from(QUEUE_PERMS)),
    decoy=st.booleans(),
    clients=st.sets(st.sampled_from(["northwind", "solaris"])),
    solaris_active=st.booleans(),
)
def test_queue_access_is_what_has_perm_and_clients_for_say(
    northwind, solaris, active, superuser, roles, direct, decoy, clients, solaris_active
):
    solaris.is_active = solaris_active
    solaris.save()
    user = UserFactory(is_active=active, is_superuser=superuser)
    user.groups.set(Group.objects.filter(name__in=roles))
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="tickets", codename__in=direct)
    )
    if decoy:  # the same codename in another app grants nothing on tickets
        other = ContentType.objects.get_for_model(Client)
        fake, _ = Permission.objects.get_or_create(
            codename="view_ticket", content_type=other, defaults={"name": "decoy"}
        )
        user.user_permissions.add(fake)
    named = {"northwind": northwind, "solaris": solaris}
    for name in clients:
        Membership.objects.create(user=user, client=named[name])
    fresh = type(user).objects.get(pk=user.pk)

    access = queue_access(staff=fresh)

    assert access.view == fresh.has_perm("tickets.view_ticket")
    assert access.work == fresh.has_perm("tickets.work_ticket")
    assert access.reassign == fresh.has_perm("tickets.reassign_ticket")
    assert access.client_ids == tuple(sorted(c.pk for c in queue_clients(staff=fresh)))


def test_a_group_losing_the_view_permission_is_refused_not_told_304(listed, agent):
    # Nothing renews a stamp for it: who asks is read fresh on every refresh.
    http = opened(agent)
    etag = refresh(http)["ETag"]
    agent.groups.get().permissions.remove(Permission.objects.get(codename="view_ticket"))
    assert refresh(http, etag).status_code == 403


@pytest.mark.parametrize("how", ["membership_deleted", "client_switched_off"])
def test_a_lost_client_is_a_list_without_it_even_with_no_stamp_renewed(
    how, listed, agent, northwind, monkeypatch
):
    # Who sees which client is never taken from the cache: with every renewal lost, the
    # lost client's rows still go at the next refresh.
    http = opened(agent)
    etag = refresh(http)["ETag"]
    monkeypatch.setattr(queue_stamps, "bump", lambda **kwargs: None)
    if how == "membership_deleted":
        Membership.objects.get(user=agent, client=northwind).delete()
    else:
        northwind.is_active = False
        northwind.save()
    response = refresh(http, etag)
    assert response.status_code == 200
    assert listed[0].reference not in response.content.decode()


# --- what renews the stamps -------------------------------------------------------------


def test_a_customer_number_changed_is_a_new_list(listed, agent):
    http = opened(agent)
    etag = refresh(http)["ETag"]
    customer = listed[0].customer
    customer.number = "C-RENUMBERED"
    customer.save()
    assert refresh(http, etag).status_code == 200


def test_a_new_colleague_on_the_floor_is_a_new_list_for_who_reassigns(listed, personas, northwind):
    # The supervisor's reassign forms list the floor's people.
    http = opened(personas["supervisor"])
    etag = refresh(http)["ETag"]
    make_staff("newcomer", "agent", northwind)
    response = refresh(http, etag)
    assert response.status_code == 200 and "newcomer" in response.content.decode()


def test_a_colleague_leaving_the_floor_is_a_new_list(listed, personas):
    http = opened(personas["supervisor"])
    etag = refresh(http)["ETag"]
    personas["agent"].groups.clear()
    assert refresh(http, etag).status_code == 200


def test_signing_in_does_not_renew_the_stamps(listed, agent, northwind):
    refresh(opened(agent))
    before = _stamps(northwind)
    opened(agent)  # a second sign-in: last_login saved
    assert _stamps(northwind) == before


def test_another_clients_write_leaves_my_stamp(listed, northwind, solaris, agent, personas):
    refresh(opened(agent))
    refresh(opened(personas["outsider"]))
    mine, theirs = _stamps(northwind), _stamps(solaris)
    queue_ticket(solaris, due_in=dt.timedelta(minutes=5))
    assert _stamps(northwind) == mine
    assert _stamps(solaris) != theirs


# --- races and the cache's failures -----------------------------------------------------


def test_a_write_renews_the_stamp_again_once_committed(
    listed, northwind, django_capture_on_commit_callbacks
):
    """A refresh that reads the stamp after the write but the rows before its commit has
    the new stamp with the old rows: the commit's second renewal makes its ETag old."""
    before = _stamps(northwind)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        listed[0].state = State.VERIFYING
        listed[0].save()
        during = _stamps(northwind)
    after = _stamps(northwind)
    assert before != during != after


def test_a_rolled_back_write_only_costs_a_render(listed, northwind):
    before = _stamps(northwind)
    with pytest.raises(RuntimeError), transaction.atomic():
        listed[0].state = State.VERIFYING
        listed[0].save()
        raise RuntimeError
    assert _stamps(northwind) != before  # renewed once; the list is rendered again


def test_a_flushed_cache_leaves_the_rows_to_decide(listed, agent, monkeypatch):
    """New stamps after a flush never stand for an old list: the rows' part of the ETag
    decides — the same rows are a 304, rows changed (even with every stamp renewal lost)
    a new list."""
    http = opened(agent)
    etag = refresh(http)["ETag"]
    queue_stamps.cache.clear()
    unchanged = refresh(http, etag)
    assert unchanged.status_code == 304 and unchanged["ETag"] != etag
    queue_stamps.cache.clear()
    monkeypatch.setattr(queue_stamps, "_renew", lambda keys: None)  # every renewal lost
    listed[0].summary = "Changed after the flush"
    listed[0].save()
    changed = refresh(http, unchanged["ETag"])
    assert changed.status_code == 200
    assert "Changed after the flush" in changed.content.decode()


class Unreachable:
    """A cache whose server does not answer."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache down")

        return fail


def test_the_cache_unreachable_the_rows_are_the_validator(listed, agent, personas, monkeypatch):
    http = opened(agent)
    monkeypatch.setattr(queue_stamps, "cache", Unreachable())
    first = refresh(http)
    assert first.status_code == 200 and first["ETag"]
    assert refresh(http, first["ETag"]).status_code == 304
    from profiledesk.tickets.services import ticket_claim

    ticket_claim(ticket=listed[0], by=personas["supervisor"])  # the write stands, logged
    response = refresh(http, first["ETag"])
    assert response.status_code == 200
    assert personas["supervisor"].get_full_name() in response.content.decode()


def test_a_stamped_etag_is_decided_by_the_rows_while_the_cache_is_down(listed, agent, monkeypatch):
    http = opened(agent)
    etag = refresh(http)["ETag"]
    monkeypatch.setattr(queue_stamps, "cache", Unreachable())
    unchanged = refresh(http, etag)
    assert unchanged.status_code == 304 and unchanged["ETag"] != etag  # the rows' part only
    listed[0].summary = "Changed while the cache was down"
    listed[0].save()
    changed = refresh(http, unchanged["ETag"])
    assert changed.status_code == 200 and "Changed while the cache was down" in changed.text


def test_a_renewal_lost_to_the_cache_lasts_at_most_to_the_minute(listed, agent, clock, monkeypatch):
    """The one case the stamps cannot see: the cache down for the writer only. The ETag
    names the minute, so the list is rendered again at the next one."""
    http = opened(agent)
    etag = refresh(http)["ETag"]
    working = queue_stamps.cache
    monkeypatch.setattr(queue_stamps, "cache", Unreachable())
    listed[0].summary = "Changed while the cache was down"
    listed[0].save()
    monkeypatch.setattr(queue_stamps, "cache", working)
    assert refresh(http, etag).status_code == 304  # stale, within the minute
    clock.shift(dt.timedelta(minutes=1))
    later = refresh(http, etag)
    assert later.status_code == 200
    assert "Changed while the cache was down" in later.content.decode()


def test_a_write_with_the_cache_down_stands_and_logs_one_line_not_a_stack(
    listed, monkeypatch, caplog
):
    """The demo seeds before its Redis is up, and an outage must not fill the log with a
    stack a write (the demo's own test fails on any traceback in its output)."""
    monkeypatch.setattr(queue_stamps, "cache", Unreachable())
    with caplog.at_level("WARNING", logger="profiledesk.tickets.queue_stamps"):
        listed[0].summary = "Written while the cache was down"
        listed[0].save()
    listed[0].refresh_from_db()
    assert listed[0].summary == "Written while the cache was down"
    records = [r for r in caplog.records if r.name == "profiledesk.tickets.queue_stamps"]
    assert records and all(r.levelname == "WARNING" and r.exc_info is None for r in records)
    assert "ConnectionError" in records[0].getMessage()
