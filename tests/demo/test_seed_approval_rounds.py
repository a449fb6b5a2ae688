"""Seeded tickets waiting for approval (or approved) come with their approval round, as
approval_submit and approval_grant would have left it: the demo's approval queue has
work in it, and a supervisor can approve a seeded ticket."""

import pytest

from profiledesk.approvals.models import ApprovalRound
from profiledesk.approvals.rules import makers_of, plan_for, ticket_diff_hash
from profiledesk.approvals.selectors import approval_queue
from profiledesk.approvals.services import approval_grant
from profiledesk.demo.tickets import seed_tickets
from profiledesk.tickets.models import State, Ticket
from tests.conftest import make_staff
from tests.factories import CustomerFactory


@pytest.fixture
def seeded(northwind, personas):
    make_staff("supervisor2", "supervisor", northwind)
    make_staff("compliance2", "compliance", northwind)
    for _ in range(5):
        CustomerFactory(client=northwind)
    return seed_tickets(count=400)


def test_the_approval_queue_of_a_northwind_supervisor_is_not_empty(seeded, personas):
    assert approval_queue(staff=personas["supervisor"]).rows


def test_every_ticket_waiting_for_approval_has_one_open_round_signing_its_diff(seeded):
    waiting = Ticket.objects.filter(state=State.PENDING_APPROVAL)
    assert waiting.exists()
    assert seeded.approval_rounds == ApprovalRound.objects.count()
    for ticket in waiting:
        approval_round = ticket.approval_rounds.get(status="open")
        assert approval_round.diff_hash == ticket_diff_hash(ticket)
        assert approval_round.tiers_needed == max(plan_for(ticket).tiers, 1)
        assert approval_round.current_tier in (1, 2)
        assert approval_round.tier_due_at > approval_round.submitted_at
        assert approval_round.approvals.count() == (approval_round.current_tier - 1)


def test_approved_tickets_were_approved_at_every_tier_by_staff_who_did_not_make_them(seeded):
    rounds = ApprovalRound.objects.filter(status="approved").select_related("ticket")
    assert rounds.exists()
    for approval_round in rounds:
        ticket = approval_round.ticket
        assert ticket.state == State.APPROVED and approval_round.current_tier == 0
        approvals = list(approval_round.approvals.all())
        tiers = [a.tier for a in approvals]
        assert tiers == sorted(tiers)
        assert len(approvals) == approval_round.tiers_needed * approval_round.per_tier
        assert not {a.approver_id for a in approvals} & makers_of(ticket)
        assert all(a.diff_hash == ticket_diff_hash(ticket) for a in approvals)
        last = ticket.events.get(to_state=State.APPROVED)
        assert last.actor_id == approvals[-1].approver_id


def test_a_supervisor_approves_a_seeded_ticket(seeded, personas):
    rows = approval_queue(staff=personas["supervisor"]).rows
    ready_to_decide = [row for row in rows if row.problem is None]
    assert ready_to_decide
    ticket = ready_to_decide[0].ticket
    approval_grant(ticket=ticket, by=personas["supervisor"])
    ticket.refresh_from_db()
    # Nothing was voided: the round signed the very items the ticket has.
    assert ticket.state in (State.APPROVED, State.PENDING_APPROVAL)
    assert ticket.approvals.filter(voided_at__isnull=True).exists()
