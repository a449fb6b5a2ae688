"""The navigation's badges: each count against hand-made fixtures, only for the role that
acts on it, never another client's rows; the poll's query budget."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.services import audit_record
from profiledesk.approvals.selectors import approval_queue
from profiledesk.connectors.models import Status as DeliveryStatus
from profiledesk.exports.models import Status as ExportStatus
from profiledesk.notifications.models import Kind, Notification
from profiledesk.notifications.selectors import badges_for
from profiledesk.tickets.models import State
from profiledesk.tickets.states import transition
from tests.approvals.helpers import second
from tests.conftest import make_staff, signed_in
from tests.connectors.helpers import delivery_for
from tests.exports.helpers import queued_export
from tests.factories import TicketFactory, complete_customer

from .helpers import pending_ticket

pytestmark = pytest.mark.usefixtures("clock")
BADGES = reverse("notifications:badges")


def counts(user) -> dict[str, int]:
    return badges_for(user=user)


def ready_export(client, by, *, expires_in=dt.timedelta(days=7)):
    export = queued_export(client, by)
    export.status = ExportStatus.DONE
    export.finished_at = timezone.now()
    export.expires_at = timezone.now() + expires_in
    export.save(update_fields=["status", "finished_at", "expires_at"])
    return export


# --- who sees which badge ------------------------------------------------------------------


def test_each_role_gets_only_the_badges_it_acts_on(personas):
    assert set(counts(personas["agent"])) == {"notifications"}
    assert set(counts(personas["supervisor"])) == {"approvals", "connectors", "notifications"}
    assert set(counts(personas["compliance"])) == {"approvals", "exports", "notifications"}
    assert set(counts(personas["security"])) == {"escalations", "notifications"}
    assert counts(personas["desk_admin"]) == {}


def test_the_poll_is_refused_to_staff_who_work_no_tickets(personas):
    assert signed_in(personas["desk_admin"]).get(BADGES).status_code == 403


# --- approvals -----------------------------------------------------------------------------


def test_approvals_count_what_waits_at_my_tier_and_i_may_decide(customer, personas, solaris):
    pending_ticket(customer, personas["agent"])
    pending_ticket(customer, personas["agent"])
    # Another client's ticket waits too: never counted for Northwind's approvers.
    other = complete_customer(solaris, legal_name="Ada Lovelace")
    pending_ticket(other, make_staff("sol-agent", "agent", solaris))
    assert counts(personas["supervisor"])["approvals"] == 2
    # Tier 2 (compliance) has nothing waiting: both wait at tier 1.
    assert counts(personas["compliance"])["approvals"] == 0


def test_a_supervisor_does_not_count_a_ticket_they_made_or_already_approved(
    customer, personas, northwind
):
    maker = second("supervisor", northwind, "maker")
    made = pending_ticket(customer, maker)  # created, verified and submitted by them
    waiting = pending_ticket(customer, personas["agent"])
    assert counts(maker)["approvals"] == 1
    assert counts(personas["supervisor"])["approvals"] == 2
    # The count is the queue's rows with buttons, for each of them.
    for user in (maker, personas["supervisor"]):
        rows = approval_queue(staff=user).rows
        assert counts(user)["approvals"] == sum(row.problem is None for row in rows)
    assert {made.reference, waiting.reference} == {
        row.ticket.reference for row in approval_queue(staff=personas["supervisor"]).rows
    }


def test_a_ticket_assigned_to_the_supervisor_or_of_a_frozen_customer_is_not_counted(
    customer, personas, northwind
):
    ticket = pending_ticket(customer, personas["agent"])
    ticket.assignee = personas["supervisor"]
    ticket._change_reason = "test: taken over"
    ticket.save(update_fields=["assignee"])
    assert counts(personas["supervisor"])["approvals"] == 0
    ticket.assignee = personas["agent"]
    ticket.save(update_fields=["assignee"])
    assert counts(personas["supervisor"])["approvals"] == 1
    customer.frozen_at = timezone.now()
    customer.save(update_fields=["frozen_at"])
    assert counts(personas["supervisor"])["approvals"] == 0


# --- escalations ---------------------------------------------------------------------------


def test_escalations_count_for_security_of_their_clients_only(customer, personas, solaris):
    for _ in range(2):
        ticket = TicketFactory(customer=customer, created_by=personas["agent"])
        transition(ticket=ticket, to=State.ESCALATED, by=personas["agent"], reason="Odd caller")
    TicketFactory(customer=customer, created_by=personas["agent"])  # not escalated
    other = complete_customer(solaris, legal_name="Ada Lovelace")
    sol_agent = make_staff("sol-agent", "agent", solaris)
    theirs = TicketFactory(customer=other, created_by=sol_agent)
    transition(ticket=theirs, to=State.ESCALATED, by=sol_agent, reason="Odd caller")
    assert counts(personas["security"])["escalations"] == 2
    assert "escalations" not in counts(personas["supervisor"])


# --- failing downstream systems ------------------------------------------------------------


def test_failing_systems_count_for_supervisors_as_the_queue_banner_lists_them(
    customer, personas, solaris
):
    ticket = TicketFactory(customer=customer, created_by=personas["agent"])
    delivery = delivery_for(ticket)
    assert counts(personas["supervisor"])["connectors"] == 0
    delivery.status = DeliveryStatus.GAVE_UP
    delivery.save(update_fields=["status"])
    assert counts(personas["supervisor"])["connectors"] == 1
    other = complete_customer(solaris, legal_name="Ada Lovelace")
    theirs = delivery_for(TicketFactory(customer=other, created_by=personas["outsider"]))
    theirs.status = DeliveryStatus.GAVE_UP
    theirs.save(update_fields=["status"])
    assert counts(personas["supervisor"])["connectors"] == 1
    assert "connectors" not in counts(personas["compliance"])


# --- exports -------------------------------------------------------------------------------


def test_exports_count_my_ready_ones_not_downloaded_not_expired_of_my_clients(
    personas, northwind, solaris
):
    me = personas["compliance"]
    ready_export(northwind, me)
    downloaded = ready_export(northwind, me)
    ready_export(northwind, me, expires_in=-dt.timedelta(minutes=1))  # expired
    queued_export(northwind, me)  # still building
    ready_export(northwind, second("compliance", northwind))  # a colleague's
    ready_export(solaris, me)  # a client I do not serve (any more)
    assert counts(me)["exports"] == 2
    audit_record(action="export.downloaded", actor=me, client=northwind, target=downloaded)
    assert counts(me)["exports"] == 1
    assert "exports" not in counts(personas["supervisor"])


# --- unread notifications ------------------------------------------------------------------


def test_unread_counts_only_my_unread_notifications(customer, personas):
    ticket = TicketFactory(customer=customer, created_by=personas["agent"])
    now = timezone.now()
    for key, read_at in (("a", None), ("b", None), ("c", now)):
        Notification.objects.create(
            recipient=personas["agent"], kind=Kind.REJECTED, ticket=ticket, key=key, created_at=now
        )
        if read_at:
            Notification.objects.filter(key=key).update(read_at=read_at)
    Notification.objects.create(
        recipient=personas["supervisor"], kind=Kind.REJECTED, ticket=ticket, key="x", created_at=now
    )
    assert counts(personas["agent"])["notifications"] == 2
    assert counts(personas["supervisor"])["notifications"] == 1


# --- the poll ------------------------------------------------------------------------------


def test_the_poll_answers_sentences_with_the_count_as_text(customer, personas):
    pending_ticket(customer, personas["agent"])
    data = signed_in(personas["supervisor"]).get(BADGES).json()
    by_key = {badge["key"]: badge for badge in data["badges"]}
    assert by_key["approvals"]["text"] == "Approvals, 1 waiting for you"
    assert by_key["approvals"]["url"] == reverse("approvals:queue")
    assert by_key["notifications"]["text"] == "Notifications, 0 unread"
    assert data["poll"] == 30


def test_the_poll_costs_a_fixed_number_of_queries_whatever_the_rows(
    customer, personas, settings, django_assert_num_queries
):
    settings.NOTIFICATIONS_BADGE_CACHE_SECONDS = 0  # every poll computes
    http = signed_in(personas["supervisor"])
    headers = {"X-Desk-Background": "1"}
    # Expect 8 queries: the session, the user and their TOTP device (the sign-in
    # middleware); the user's permissions and role names (one query); the client ids;
    # the three counts (approvals, failing systems, unread).
    with django_assert_num_queries(8):
        http.get(BADGES, headers=headers)
    for _ in range(3):
        pending_ticket(customer, personas["agent"])
    delivery_for(TicketFactory(customer=customer, created_by=personas["agent"]))
    with django_assert_num_queries(8):
        answer = http.get(BADGES, headers=headers)
    assert {b["key"]: b["count"] for b in answer.json()["badges"]}["approvals"] == 3


def test_a_cached_poll_asks_no_count_again(personas, django_assert_num_queries):
    http = signed_in(personas["supervisor"])
    headers = {"X-Desk-Background": "1"}
    http.get(BADGES, headers=headers)
    # Expect 4 queries: the session, the user, the TOTP device and the permissions (one
    # read: accounts/permissions.py); no count (cached per user).
    with django_assert_num_queries(4):
        http.get(BADGES, headers=headers)


def test_the_badges_cache_being_unreachable_raises_nothing_into_a_move(monkeypatch, caplog):
    """Redis down (or not started yet, as while the demo seeds): a move that notifies
    someone goes on; the cached counts expire on their own."""
    import redis

    from profiledesk.notifications import services

    class Unreachable:
        def delete_many(self, keys):
            raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(services, "cache", Unreachable())
    services._forget_badges({1, 2})
    assert "cache unavailable" in caplog.text
