"""approval_submit / approval_grant / approval_reject / approvals_void: tiers in order,
N of M, maker ≠ checker, the signed diff, and every decision audited."""

import pytest

from audit.models import AuditEvent
from profiledesk.approvals.models import Approval, ApprovalRound
from profiledesk.approvals.rules import diff_hash, plan_for
from profiledesk.approvals.services import (
    ApprovalError,
    approval_grant,
    approval_reject,
    approval_submit,
    approvals_void,
)
from profiledesk.policies.defaults import policy_for
from profiledesk.tickets.models import ChangeItem, State, TicketEvent
from profiledesk.tickets.states import TransitionError, allowed_moves, transition
from tests.factories import claimed
from verification.services import verification_complete

from .helpers import BILLING_ITEM, CONTACT_ITEM, ready_ticket, second, verify

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def billing(customer, agent):
    return ready_ticket(customer, agent, category="billing")


def test_a_billing_change_needs_one_supervisor_and_is_approved_by_one(billing, personas):
    approval_submit(ticket=billing, by=personas["agent"])
    assert billing.state == State.PENDING_APPROVAL
    approval = approval_grant(ticket=billing, by=personas["supervisor"])
    billing.refresh_from_db()
    assert billing.state == State.APPROVED
    assert (approval.tier, approval.approver, approval.decision) == (
        1,
        personas["supervisor"],
        "approved",
    )
    assert approval.diff_hash == diff_hash(billing.items.all())
    event = AuditEvent.objects.get(action="approval.granted")
    assert event.actor == personas["supervisor"]
    assert event.data["diff_hash"] == approval.diff_hash and event.data["tier"] == 1
    assert billing.events.filter(to_state="approved", actor=personas["supervisor"]).exists()


def test_a_change_without_approval_cannot_be_submitted(customer, agent):
    ticket = ready_ticket(customer, agent, category="contact")
    with pytest.raises(TransitionError, match="needs no approval"):
        approval_submit(ticket=ticket, by=agent)
    assert State.PENDING_APPROVAL not in {m.target for m in allowed_moves(ticket, agent)}


def test_the_submit_button_is_offered_to_the_floor_and_posts_to_approvals(billing, personas):
    submit = [
        m for m in allowed_moves(billing, personas["agent"]) if m.target == "pending_approval"
    ]
    assert [m.via for m in submit] == ["approvals:submit"]
    assert allowed_moves(billing, personas["compliance"]) == []


def test_a_field_the_policy_names_needs_tier_one(customer, agent):
    ticket = ready_ticket(customer, agent, category="personal")
    assert plan_for(ticket).tiers == 1


def test_an_organisation_change_needs_a_supervisor_then_compliance(customer, personas):
    ticket = ready_ticket(customer, personas["agent"], category="organisation")
    approval_submit(ticket=ticket, by=personas["agent"])
    with pytest.raises(ApprovalError, match="tier 1"):
        approval_grant(ticket=ticket, by=personas["compliance"])
    approval_grant(ticket=ticket, by=personas["supervisor"])
    assert ticket.state == State.PENDING_APPROVAL
    assert ApprovalRound.objects.get(ticket=ticket).current_tier == 2
    with pytest.raises(ApprovalError, match="tier 2"):
        approval_grant(ticket=ticket, by=second("supervisor", ticket.client))
    approval_grant(ticket=ticket, by=personas["compliance"])
    assert ticket.state == State.APPROVED
    assert list(ticket.approvals.values_list("tier", flat=True)) == [1, 2]


def test_high_risk_adds_a_tier(customer, personas):
    customer.is_flagged = True  # 40 points
    customer.save(update_fields=["is_flagged"])
    earlier = ready_ticket(customer, personas["agent"], category="contact")
    TicketEvent.objects.create(  # a failed verification this month: 15 more
        ticket=earlier, at=earlier.created_at, kind="transition", to_state="verification_failed"
    )
    ticket = ready_ticket(customer, personas["agent"], category="billing")
    approval_submit(ticket=ticket, by=personas["agent"])
    assert ticket.risk_level == "high"
    assert ApprovalRound.objects.get(ticket=ticket).tiers_needed == 2


def test_n_of_m_approvers_at_a_tier(billing, personas):
    policy = policy_for(client=billing.client, category="billing")
    policy.approvers_per_tier = 2
    policy.save(update_fields=["approvers_per_tier"])
    approval_submit(ticket=billing, by=personas["agent"])
    approval_grant(ticket=billing, by=personas["supervisor"])
    assert billing.state == State.PENDING_APPROVAL
    with pytest.raises(ApprovalError, match="already approved"):
        approval_grant(ticket=billing, by=personas["supervisor"])
    approval_grant(ticket=billing, by=second("supervisor", billing.client))
    assert billing.state == State.APPROVED
    assert billing.approvals.count() == 2


@pytest.mark.parametrize("how", ["created", "verified", "edited", "submitted"])
def test_nobody_approves_a_ticket_they_made(customer, personas, how):
    maker = second("supervisor", customer.client)
    agent = personas["agent"]
    ticket = ready_ticket(customer, maker if how == "created" else agent, category="billing")
    if how == "verified":
        verify(ticket, maker)
    if how == "edited":
        item = ticket.items.get()
        item.label = "Account holder name"
        item._history_user = maker
        item.save()
    submitter = maker if how == "submitted" else agent
    approval_submit(ticket=claimed(ticket, submitter), by=submitter)
    with pytest.raises(ApprovalError, match="someone else"):
        approval_grant(ticket=ticket, by=maker)
    with pytest.raises(ApprovalError, match="someone else"):
        approval_reject(ticket=ticket, by=maker, reason="Looks fine to me")
    assert not Approval.objects.exists()
    approval_grant(ticket=ticket, by=personas["supervisor"])
    assert ticket.state == State.APPROVED


def test_agents_and_security_cannot_approve(billing, personas):
    approval_submit(ticket=billing, by=personas["agent"])
    for role in ("agent", "security"):
        with pytest.raises(ApprovalError, match="cannot approve"):
            approval_grant(ticket=billing, by=personas[role])


def test_a_rejection_needs_a_reason_and_ends_the_ticket(billing, personas):
    approval_submit(ticket=billing, by=personas["agent"])
    with pytest.raises(ApprovalError, match="reason"):
        approval_reject(ticket=billing, by=personas["supervisor"], reason=" ")
    approval_reject(ticket=billing, by=personas["supervisor"], reason="Caller hesitated on DOB")
    billing.refresh_from_db()
    assert billing.state == State.REJECTED
    event = billing.events.get(to_state="rejected")
    assert "Caller hesitated on DOB" in event.message
    assert AuditEvent.objects.filter(action="approval.rejected").count() == 1
    assert allowed_moves(billing, personas["agent"]) == []


def test_the_decision_moves_are_not_buttons_of_the_move_form(billing, personas):
    approval_submit(ticket=billing, by=personas["agent"])
    targets = {m.target for m in allowed_moves(billing, personas["supervisor"])}
    assert targets.isdisjoint({State.APPROVED, State.REJECTED, State.READY})
    with pytest.raises(TransitionError, match="approval panel"):
        transition(ticket=billing, to=State.REJECTED, by=personas["supervisor"], reason="x")


def test_editing_an_item_voids_every_approval_and_sends_the_ticket_back_to_ready(
    customer, personas
):
    ticket = ready_ticket(customer, personas["agent"], category="organisation")
    approval_submit(ticket=ticket, by=personas["agent"])
    approval_grant(ticket=ticket, by=personas["supervisor"])
    voided = approvals_void(ticket=ticket, by=personas["agent"], reason="business name corrected")
    assert voided == 1
    ticket.refresh_from_db()
    assert ticket.state == State.READY
    approval = Approval.objects.get()
    assert approval.voided_at is not None and approval.void_reason == "business name corrected"
    event = ticket.events.filter(to_state="ready").last()
    assert "Approvals voided: business name corrected" in event.message
    assert ApprovalRound.objects.get().status == "voided"
    assert AuditEvent.objects.filter(action="approval.voided").exists()


def test_an_approval_of_an_edited_diff_is_refused_and_voids_the_rest(customer, personas):
    ticket = ready_ticket(customer, personas["agent"], category="organisation")
    approval_submit(ticket=ticket, by=personas["agent"])
    approval_grant(ticket=ticket, by=personas["supervisor"])
    # Someone edits the item without calling approvals_void.
    item = ChangeItem.objects.get(ticket=ticket)
    item.new_value = "Other Name Ltd"
    item.save()
    with pytest.raises(ApprovalError, match="edited"):
        approval_grant(ticket=ticket, by=personas["compliance"])
    ticket.refresh_from_db()
    assert ticket.state == State.READY
    assert not Approval.objects.filter(voided_at__isnull=True).exists()


def test_an_approver_who_saw_an_older_diff_is_refused(billing, personas):
    approval_submit(ticket=billing, by=personas["agent"])
    with pytest.raises(ApprovalError, match="look at it again"):
        approval_grant(ticket=billing, by=personas["supervisor"], diff_hash="0" * 64)
    assert not Approval.objects.exists()


def test_the_diff_hash_covers_section_field_target_and_value_in_order():
    a = ChangeItem(position=0, section="contact", field="x", target_id=1, new_value="a")
    b = ChangeItem(position=1, section="billing", field="y", target_id=None, new_value="b")
    base = diff_hash([a, b])
    assert diff_hash([b, a]) == base  # ordered by position, not by list order
    for name, value in [("section", "s"), ("field", "z"), ("target_id", 2), ("new_value", "c")]:
        changed = ChangeItem(
            **{
                **{
                    f: getattr(a, f)
                    for f in ("position", "section", "field", "target_id", "new_value")
                },
                name: value,
            }
        )
        assert diff_hash([changed, b]) != base


def test_a_contact_and_billing_change_from_a_flagged_customer_goes_to_security(customer, agent):
    customer.is_flagged = True
    customer.save(update_fields=["is_flagged"])
    ticket = ready_ticket(customer, agent, category="billing", items=[CONTACT_ITEM, BILLING_ITEM])
    approval_submit(ticket=ticket, by=agent)
    ticket.refresh_from_db()
    assert (ticket.state, ticket.risk_level) == (State.ESCALATED, "critical")
    assert "Critical risk" in ticket.events.get(to_state="escalated").message
    assert AuditEvent.objects.filter(action="ticket.escalated").exists()
    assert not ApprovalRound.objects.exists()


def test_a_ticket_security_returned_to_the_flow_is_not_escalated_again(customer, personas):
    agent = personas["agent"]
    customer.is_flagged = True
    customer.save(update_fields=["is_flagged"])
    ticket = ready_ticket(customer, agent, category="billing", items=[CONTACT_ITEM, BILLING_ITEM])
    approval_submit(ticket=ticket, by=agent)
    transition(ticket=ticket, to=State.VERIFYING, by=personas["security"], reason="Checked")
    verify(ticket, agent)
    verification_complete(ticket=ticket, by=agent)
    approval_submit(ticket=ticket, by=agent)
    assert (ticket.state, ticket.risk_level) == (State.PENDING_APPROVAL, "critical")
    assert ApprovalRound.objects.get(ticket=ticket).tiers_needed == 2
