"""Staff notifications: made once for the ticket's owner when it is rejected, approved,
sent back from approval or breaches its SLA; the list is each one's own."""

import datetime as dt

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from profiledesk.approvals.services import approval_grant, approval_reject, approvals_void
from profiledesk.notifications.models import Kind, Notification
from profiledesk.notifications.services import notifications_breached
from profiledesk.tickets.models import State
from profiledesk.tickets.states import transition
from tests.conftest import make_staff, signed_in
from tests.factories import TicketFactory

from .helpers import breached, pending_ticket

pytestmark = pytest.mark.usefixtures("clock")
LIST = reverse("notifications:list")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what the moves announce on commit, as a committed request would."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


def told(user) -> list[tuple[str, str]]:
    return [
        (n.kind, n.ticket.reference)
        for n in Notification.objects.filter(recipient=user).select_related("ticket")
    ]


# --- made by the moves ---------------------------------------------------------------------


def test_the_agent_who_holds_a_ticket_is_told_when_it_is_rejected(customer, personas, committed):
    ticket = pending_ticket(customer, personas["agent"])
    committed(approval_reject, ticket=ticket, by=personas["supervisor"], reason="Not the owner")
    assert told(personas["agent"]) == [(Kind.REJECTED, ticket.reference)]
    assert told(personas["supervisor"]) == []  # the one who decided is not told


def test_the_agent_is_told_when_it_is_approved_and_ready_to_apply(customer, personas, committed):
    ticket = pending_ticket(customer, personas["agent"])
    committed(approval_grant, ticket=ticket, by=personas["supervisor"])
    ticket.refresh_from_db()
    assert ticket.state == State.APPROVED
    assert told(personas["agent"]) == [(Kind.APPROVED, ticket.reference)]
    [note] = Notification.objects.filter(recipient=personas["agent"]).select_related("ticket")
    assert note.text == f"{ticket.reference} was approved: it is ready to apply."


def test_the_agent_is_told_when_it_comes_back_from_approval(customer, personas, committed):
    ticket = pending_ticket(customer, personas["agent"])
    committed(approvals_void, ticket=ticket, reason="the risk rose", by=None)
    assert told(personas["agent"]) == [(Kind.RETURNED, ticket.reference)]


def test_a_move_the_owner_made_tells_nobody(customer, personas, committed):
    ticket = TicketFactory(customer=customer, created_by=personas["agent"])
    committed(transition, ticket=ticket, to=State.VERIFYING, by=personas["agent"])
    ticket = pending_ticket(customer, personas["agent"])
    # The owner voids their own ticket's approvals (editing it): they know.
    committed(approvals_void, ticket=ticket, reason="edited", by=personas["agent"])
    assert Notification.objects.count() == 0


def test_security_rejecting_an_escalated_ticket_tells_its_agent(customer, personas, committed):
    ticket = TicketFactory(customer=customer, created_by=personas["agent"])
    committed(transition, ticket=ticket, to=State.ESCALATED, by=personas["agent"], reason="Odd")
    committed(transition, ticket=ticket, to=State.REJECTED, by=personas["security"], reason="Fraud")
    assert told(personas["agent"]) == [(Kind.REJECTED, ticket.reference)]


def test_a_move_rolled_back_tells_nobody(customer, personas, django_capture_on_commit_callbacks):
    from django.db import transaction

    ticket = pending_ticket(customer, personas["agent"])
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        approval_reject(ticket=ticket, by=personas["supervisor"], reason="No")
        transaction.set_rollback(True)
    assert callbacks == [] and Notification.objects.count() == 0


def test_the_same_move_announced_twice_makes_one_notification(customer, personas):
    from profiledesk.notifications.services import notification_for_move

    ticket = pending_ticket(customer, personas["agent"])
    move = {"ticket_id": ticket.pk, "event_id": 42, "source": "pending_approval"}
    for _ in range(2):
        notification_for_move(**move, target="rejected", actor_id=personas["supervisor"].pk)
    assert Notification.objects.count() == 1


def test_nobody_is_told_of_a_client_they_no_longer_serve(customer, personas, committed):
    from profiledesk.clients.models import Membership

    ticket = pending_ticket(customer, personas["agent"])
    Membership.objects.filter(user=personas["agent"]).delete()
    committed(approval_reject, ticket=ticket, by=personas["supervisor"], reason="No")
    assert Notification.objects.count() == 0


# --- SLA breaches (beat) -------------------------------------------------------------------


def test_beat_tells_the_owner_of_a_newly_breached_ticket_once_however_often_it_runs(
    customer, personas
):
    held = breached(TicketFactory(customer=customer, created_by=personas["agent"]))
    assert held.assignee_id == personas["agent"].pk  # a phone ticket: its agent holds it
    breached(TicketFactory(customer=customer, created_by=personas["supervisor"]), minutes=1)
    TicketFactory(customer=customer, created_by=personas["agent"])  # not due yet
    assert notifications_breached() == 2
    assert notifications_breached() == 0
    assert sorted(told(personas["agent"])) == [(Kind.SLA_BREACHED, held.reference)]
    assert len(told(personas["supervisor"])) == 1


def test_a_ticket_nobody_holds_tells_its_creator_and_one_from_the_api_nobody(customer, personas):
    released = TicketFactory(customer=customer, created_by=personas["agent"], channel="email")
    assert released.assignee_id is None
    breached(released)
    breached(TicketFactory(customer=customer, created_by=None, channel="api"))
    assert notifications_breached() == 1
    assert told(personas["agent"]) == [(Kind.SLA_BREACHED, released.reference)]


def test_a_breach_again_after_the_due_time_moved_is_a_new_notification(customer, personas, clock):
    ticket = breached(TicketFactory(customer=customer, created_by=personas["agent"]))
    notifications_breached()
    ticket.sla_due_at = timezone.now() + dt.timedelta(minutes=30)  # the clock moved it on
    ticket.save(update_fields=["sla_due_at"])
    assert notifications_breached() == 0
    clock.shift(dt.timedelta(hours=1))
    assert notifications_breached() == 1
    assert notifications_breached() == 0
    assert Notification.objects.filter(ticket=ticket).count() == 2


def test_a_clock_paused_before_the_due_time_is_not_a_breach_nor_a_closed_ticket(customer, personas):
    paused = breached(TicketFactory(customer=customer, created_by=personas["agent"]))
    paused.sla_paused_at = paused.sla_due_at - dt.timedelta(minutes=1)
    paused.save(update_fields=["sla_paused_at"])
    closed = breached(TicketFactory(customer=customer, created_by=personas["agent"]))
    transition(ticket=closed, to=State.CANCELLED, by=personas["agent"], reason="Caller hung up")
    assert notifications_breached() == 0


# --- the list ------------------------------------------------------------------------------


def _note(user, ticket, key, kind=Kind.REJECTED):
    return Notification.objects.create(
        recipient=user, kind=kind, ticket=ticket, key=key, created_at=timezone.now()
    )


def test_the_list_shows_my_notifications_newest_first_in_keyset_pages(
    customer, personas, django_assert_num_queries
):
    ticket = TicketFactory(customer=customer, created_by=personas["agent"])
    notes = [_note(personas["agent"], ticket, f"k{i}") for i in range(30)]
    _note(personas["supervisor"], ticket, "theirs")
    http = signed_in(personas["agent"])
    http.get(LIST)  # warm the session
    # Expect 5 queries: session, user, TOTP device, the permissions and role names (one
    # query), the page with its tickets (whatever its length: one query, no count).
    with django_assert_num_queries(5):
        first = http.get(LIST)
    rows = first.context["page"].rows
    assert [n.pk for n in rows] == [n.pk for n in reversed(notes)][:25]
    assert first.context["page"].next_after == rows[-1].pk
    second_page = http.get(LIST, {"after": rows[-1].pk}).context["page"]
    assert [n.pk for n in second_page.rows] == [n.pk for n in reversed(notes)][25:]
    assert second_page.next_after is None
    assert http.get(LIST, {"after": "x"}).status_code == 400
    page = first.content.decode()
    assert reverse("tickets:detail", args=[ticket.reference]) in page
    assert customer.personal.legal_name not in page  # no customer data in a notification


def test_mark_read_and_mark_all_read_are_mine_only(customer, personas):
    ticket = TicketFactory(customer=customer, created_by=personas["agent"])
    mine, other = _note(personas["agent"], ticket, "a"), _note(personas["agent"], ticket, "b")
    theirs = _note(personas["supervisor"], ticket, "c")
    http = signed_in(personas["agent"])
    assert http.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    assert http.post(reverse("notifications:read", args=[999999])).status_code == 404
    assert http.post(reverse("notifications:read", args=[mine.pk])).status_code == 302
    mine.refresh_from_db(), theirs.refresh_from_db(), other.refresh_from_db()
    assert mine.read_at and theirs.read_at is None and other.read_at is None
    assert http.post(reverse("notifications:read_all")).status_code == 302
    other.refresh_from_db(), theirs.refresh_from_db()
    assert other.read_at and theirs.read_at is None


def test_marking_read_needs_the_csrf_token(customer, personas):
    ticket = TicketFactory(customer=customer, created_by=personas["agent"])
    note = _note(personas["agent"], ticket, "a")
    http = signed_in(personas["agent"])
    strict = HttpClient(enforce_csrf_checks=True)
    strict.cookies = http.cookies
    for url in (reverse("notifications:read", args=[note.pk]), reverse("notifications:read_all")):
        assert strict.post(url).status_code == 403
    note.refresh_from_db()
    assert note.read_at is None


def test_a_notification_of_a_client_i_lost_still_lists_and_its_ticket_is_a_404(
    customer, personas, solaris
):
    from profiledesk.clients.models import Membership

    ticket = TicketFactory(customer=customer, created_by=personas["agent"])
    _note(personas["agent"], ticket, "a")
    Membership.objects.filter(user=personas["agent"]).delete()
    make_staff("keeps-solaris", "agent", solaris)
    http = signed_in(personas["agent"])
    assert ticket.reference in http.get(LIST).content.decode()
    assert http.get(reverse("tickets:detail", args=[ticket.reference])).status_code == 404


def test_marking_read_updates_the_badge_at_once(customer, personas):
    ticket = TicketFactory(customer=customer, created_by=personas["agent"])
    note = _note(personas["agent"], ticket, "a")
    http = signed_in(personas["agent"])

    def unread():
        badges = http.get(reverse("notifications:badges")).json()["badges"]
        return {b["key"]: b["count"] for b in badges}["notifications"]

    assert unread() == 1
    http.post(reverse("notifications:read", args=[note.pk]))
    assert unread() == 0  # the cached counts were dropped


def test_beat_runs_the_breach_task_every_minute_and_the_task_tells_the_owner(
    customer, personas, settings
):
    from profiledesk.notifications.tasks import sla_breaches

    entry = settings.CELERY_BEAT_SCHEDULE["notifications-sla-breaches"]
    assert entry == {"task": "notifications.sla_breaches", "schedule": 60.0}
    ticket = breached(TicketFactory(customer=customer, created_by=personas["agent"]))
    assert sla_breaches.apply().get() == 1
    assert told(personas["agent"]) == [(Kind.SLA_BREACHED, ticket.reference)]
