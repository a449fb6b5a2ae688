"""The SLA of the approval step itself: each tier is due the policy's approval SLA after
it starts waiting, on the client's calendar, and the queue and the ticket say how long
is left ("due in 42 min" / "breached 5 min ago")."""

import datetime as dt

import pytest
from django.urls import reverse

from profiledesk.approvals.models import ApprovalRound
from profiledesk.approvals.services import approval_grant, approval_submit
from profiledesk.policies.defaults import policy_for
from tests.conftest import signed_in

from .helpers import WEDNESDAY, ready_ticket

pytestmark = pytest.mark.usefixtures("clock")
QUEUE = reverse("approvals:queue")


def _minutes(m: int) -> dt.timedelta:
    return dt.timedelta(minutes=m)


def test_submitting_starts_tier_one_on_the_policys_approval_sla(customer, agent):
    ticket = ready_ticket(customer, agent, category="billing")
    assert policy_for(client=ticket.client, category="billing").approval_sla_minutes == 60
    approval_submit(ticket=ticket, by=agent)
    assert ApprovalRound.objects.get(ticket=ticket).tier_due_at == WEDNESDAY + _minutes(60)


def test_the_tier_clock_runs_on_the_clients_business_hours(customer, agent, clock):
    # Submitted at 19:30 London time, half an hour before closing: due 08:30 next morning.
    clock.move_to(WEDNESDAY.replace(hour=19, minute=30))
    ticket = ready_ticket(customer, agent, category="billing")
    approval_submit(ticket=ticket, by=agent)
    due = ApprovalRound.objects.get(ticket=ticket).tier_due_at
    assert due == WEDNESDAY.replace(hour=8, minute=30) + dt.timedelta(days=1)


def test_tier_two_is_due_from_when_tier_one_completes(customer, personas, clock):
    policy = policy_for(client=customer.client, category="organisation")
    policy.approval_sla_minutes = 240
    policy.save(update_fields=["approval_sla_minutes"])
    ticket = ready_ticket(customer, personas["agent"], category="organisation")
    approval_submit(ticket=ticket, by=personas["agent"])
    assert ApprovalRound.objects.get(ticket=ticket).tier_due_at == WEDNESDAY + _minutes(240)
    clock.shift(_minutes(90))
    approval_grant(ticket=ticket, by=personas["supervisor"])
    approval_round = ApprovalRound.objects.get(ticket=ticket)
    assert approval_round.current_tier == 2
    assert approval_round.tier_due_at == WEDNESDAY + _minutes(90 + 240)


def test_the_queue_shows_a_breached_tier_before_one_still_due(customer, personas, clock):
    late = ready_ticket(customer, personas["agent"], category="billing")
    approval_submit(ticket=late, by=personas["agent"])  # due 11:00
    clock.shift(_minutes(47))
    on_time = ready_ticket(customer, personas["agent"], category="billing")
    approval_submit(ticket=on_time, by=personas["agent"])  # due 11:47
    clock.move_to(WEDNESDAY + _minutes(65))
    page = signed_in(personas["supervisor"]).get(QUEUE).content.decode()
    assert page.index(late.reference) < page.index(on_time.reference)  # oldest first
    assert page.index("breached 5 min ago") < page.index("due in 42 min")
    assert page.count('data-testid="approval-sla"') == 2
    assert "sla-breached" in page and "sla-due_soon" in page


def test_the_ticket_page_shows_the_tier_clock_while_it_waits(customer, personas, clock):
    ticket = ready_ticket(customer, personas["agent"], category="billing")
    approval_submit(ticket=ticket, by=personas["agent"])
    clock.shift(_minutes(18))
    http = signed_in(personas["supervisor"])
    detail = reverse("tickets:detail", args=[ticket.reference])
    assert "This tier: due in 42 min" in http.get(detail).content.decode()
    approval_grant(ticket=ticket, by=personas["supervisor"])
    assert 'data-testid="approval-sla"' not in http.get(detail).content.decode()
