"""Editing a captured change (issue 14): the abuse cases first, then what an edit does to
approvals, risk and verification."""

import pytest
import time_machine

from audit.models import AuditEvent
from profiledesk.apply.services import ApplyError, ticket_apply
from profiledesk.approvals.models import Approval, ApprovalRound
from profiledesk.approvals.rules import plan_for
from profiledesk.approvals.services import ApprovalError, approval_grant, approval_submit
from profiledesk.editing.services import EditError, edit_stamp
from profiledesk.tickets.models import RiskLevel, State, Ticket, TicketEvent
from profiledesk.tickets.services import ticket_reassign, ticket_take_over
from profiledesk.tickets.states import TransitionError, transition
from tests.approvals.helpers import ready_ticket, second
from verification.services import verification_complete
from verification.status import verification_missing

from .helpers import (
    ADDRESS,
    BILLING,
    WEDNESDAY,
    captured,
    edit,
    prove_new_contacts,
    to_approved,
    to_ready,
)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def agent(personas):
    return personas["agent"]


def _approved_billing(customer, agent, supervisor):
    ticket = to_ready(captured(customer, agent, category="billing", data=BILLING), agent)
    return to_approved(ticket, agent, supervisor)


# --- who, when, against what ------------------------------------------------------------


def test_nobody_but_the_assignee_edits_the_change(customer, personas, agent):
    ticket = captured(customer, agent, data={"email": "grace@example.org"})
    for other in (personas["supervisor"], second("agent", customer.client)):
        with pytest.raises(EditError, match="is working this ticket"):
            edit(ticket, other, {"email": "attacker@example.net"})
    ticket.assignee = None
    ticket.save(update_fields=["assignee"])
    with pytest.raises(EditError, match="Claim the ticket first"):
        edit(ticket, agent, {"email": "attacker@example.net"})
    assert ticket.items.get(field="emailaddress.email").new_value == "grace@example.org"


def test_compliance_and_security_cannot_edit_even_when_assigned(customer, personas):
    for role in ("compliance", "security"):
        ticket = captured(customer, personas[role], data={"email": "grace@example.org"})
        with pytest.raises(EditError, match="role cannot edit"):
            edit(ticket, personas[role], {"email": "other@example.org"})


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (State.APPLIED, "has been applied"),
        (State.CLOSED, "has been applied"),
        (State.ROLLED_BACK, "has been applied"),
        (State.CANCELLED, "cannot be edited"),
        (State.REJECTED, "cannot be edited"),
        (State.ESCALATED, "security team"),
    ],
)
def test_a_ticket_past_its_change_or_with_security_is_not_edited(customer, agent, state, message):
    ticket = captured(customer, agent, data={"email": "grace@example.org"})
    stamp = edit_stamp(ticket)
    ticket.state = state  # the test puts it there; the desk's moves are tested elsewhere
    ticket.save(update_fields=["state"])
    with pytest.raises(EditError, match=message):
        edit(ticket, agent, {"email": "other@example.org"}, stamp=stamp)
    assert ticket.items.get(field="emailaddress.email").new_value == "grace@example.org"
    assert not TicketEvent.objects.filter(ticket=ticket, message__startswith="Change edited")


def test_a_form_opened_before_another_edit_is_refused(customer, agent):
    ticket = captured(customer, agent, data={"email": "grace@example.org"})
    opened = edit_stamp(ticket)
    edit(ticket, agent, {"email": "grace.hopper@example.org"})
    with pytest.raises(EditError, match="changed after you opened the form"):
        edit(ticket, agent, {"email": "grace@example.org"}, stamp=opened)
    assert ticket.items.get(field="emailaddress.email").new_value == "grace.hopper@example.org"


def test_a_form_opened_before_the_ticket_was_approved_is_refused(customer, personas, agent):
    ticket = to_ready(captured(customer, agent, category="billing", data=BILLING), agent)
    opened = edit_stamp(ticket)
    to_approved(ticket, agent, personas["supervisor"])
    # Saving would void an approval the editor never saw: they look again first.
    with pytest.raises(EditError, match="“Approved” now"):
        edit(ticket, agent, {**BILLING, "account_holder": "G Hopper"}, stamp=opened)
    assert Approval.objects.get(ticket=ticket).voided_at is None


def test_an_edit_that_changes_nothing_is_refused_and_voids_nothing(customer, personas, agent):
    ticket = captured(customer, agent, data={"legal_name": "Grace B. Hopper"}, category="personal")
    with pytest.raises(EditError, match="Nothing changed"):
        edit(ticket, agent, {"legal_name": "Grace B. Hopper"})
    assert not TicketEvent.objects.filter(ticket=ticket, message__startswith="Change edited")


def test_a_rollback_ticket_is_not_edited(customer, personas, agent):
    ticket = captured(customer, agent, data={"email": "grace@example.org"})
    ticket.channel = "internal"  # what rollback_open opens
    ticket.save(update_fields=["channel"])
    with pytest.raises(EditError, match="rollback"):
        edit(ticket, agent, {"email": "other@example.org"})


# --- what an edit does --------------------------------------------------------------------


def test_editing_an_approved_ticket_voids_its_approvals_and_puts_it_back_in_ready(
    customer, personas, agent
):
    supervisor = personas["supervisor"]
    ticket = _approved_billing(customer, agent, supervisor)
    assert ticket.state == State.APPROVED

    outcome = edit(ticket, agent, {**BILLING, "account_holder": "G. B. Hopper"})

    ticket.refresh_from_db()
    assert outcome.state == ticket.state == State.READY
    assert outcome.voided == 1
    approval = Approval.objects.get(ticket=ticket)
    assert approval.voided_at is not None and "edited" in approval.void_reason
    assert ApprovalRound.objects.get(ticket=ticket).status == ApprovalRound.Status.VOIDED
    # The approval signed another diff: nothing applies it now, and no button offers it.
    with pytest.raises((ApplyError, TransitionError)):
        ticket_apply(ticket=ticket, by=agent)
    assert ticket.items.get(field="bankaccount.account_holder").new_value == "G. B. Hopper"
    # Approving the voided round again is refused; a new submission needs a new approval.
    with pytest.raises(ApprovalError):
        approval_grant(ticket=ticket, by=second("supervisor", customer.client))
    approval_submit(ticket=ticket, by=agent)
    ticket.refresh_from_db()
    assert ticket.state == State.PENDING_APPROVAL


def test_an_edit_while_pending_approval_voids_the_round(customer, personas, agent):
    ticket = to_ready(captured(customer, agent, category="billing", data=BILLING), agent)
    approval_submit(ticket=ticket, by=agent)
    edit(ticket, agent, {**BILLING, "bank_name": "Deutsche Bank"})
    ticket.refresh_from_db()
    assert ticket.state == State.READY
    assert ApprovalRound.objects.get(ticket=ticket).status == ApprovalRound.Status.VOIDED


def test_the_editor_cannot_approve_what_they_edited(customer, personas, agent):
    supervisor = personas["supervisor"]
    ticket = captured(customer, agent, category="billing", data=BILLING)
    # As the floor does it: the supervisor takes the agent's ticket over to correct the
    # change, then hands it back; the agent verifies the caller and submits it.
    ticket = ticket_take_over(ticket=ticket, by=supervisor, reason="Holder name typo")
    edit(ticket, supervisor, {**BILLING, "account_holder": "G. Hopper"})
    ticket = ticket_reassign(ticket=ticket, to=agent, by=supervisor)
    to_ready(ticket, agent)
    approval_submit(ticket=ticket, by=agent)
    with pytest.raises(ApprovalError, match="You created, verified or edited this ticket"):
        approval_grant(ticket=ticket, by=supervisor)


def test_swapping_the_new_e_mail_after_it_was_proven_needs_its_own_proof_again(customer, agent):
    ticket = to_ready(captured(customer, agent, data={"email": "grace@example.org"}), agent)
    assert ticket.state == State.READY

    outcome = edit(ticket, agent, {"email": "grace@attacker.example"})

    ticket.refresh_from_db()
    assert outcome.state == ticket.state == State.VERIFYING
    assert "Prove the new contact" in verification_missing(ticket)
    # The caller's identity passes still count; the new address does not.
    with pytest.raises(TransitionError, match="Prove the new contact"):
        verification_complete(ticket=ticket, by=agent)


def test_a_change_that_needs_a_higher_level_sends_a_verified_caller_to_step_up(customer, agent):
    # A preferred name needs AL2; a legal name AL3 (the policy's stricter fields).
    ticket = to_ready(
        captured(customer, agent, category="personal", data={"preferred_name": "Amazing Grace"}),
        agent,
    )
    outcome = edit(ticket, agent, {"legal_name": "Grace Brewster Hopper"})
    ticket.refresh_from_db()
    assert outcome.state == ticket.state == State.VERIFYING
    assert "AL3" in verification_missing(ticket)
    assert "AL3" in outcome.verification


def test_an_edit_that_raises_the_risk_needs_the_new_tiers_approvals(customer, agent):
    # Another ticket of the customer changes billing: an e-mail change now is the
    # account-takeover pair (high risk), which needs an approval the address change did not.
    ready_ticket(customer, agent, category="billing")
    ticket = to_ready(captured(customer, agent, data=ADDRESS), agent)
    assert ticket.risk_level == RiskLevel.LOW and plan_for(ticket).tiers == 0

    edit(ticket, agent, {**ADDRESS, "email": "grace@example.org"})

    ticket.refresh_from_db()
    assert ticket.risk_level == RiskLevel.HIGH
    assert any(r["rule"] == "takeover_sequence" for r in ticket.risk_reasons)
    assert plan_for(ticket).tiers >= 1


def test_an_approved_ticket_whose_risk_rose_is_resubmitted_for_the_higher_tier(
    customer, personas, agent
):
    supervisor = personas["supervisor"]
    ticket = _approved_billing(customer, agent, supervisor)
    assert ApprovalRound.objects.get(ticket=ticket).tiers_needed == 1
    # Meanwhile the customer asks to change their e-mail on another ticket.
    to_ready(captured(customer, agent, data={"email": "grace@example.org"}), agent)

    edit(ticket, agent, {**BILLING, "account_holder": "G. Hopper"})
    approval_submit(ticket=ticket, by=agent)

    current = ApprovalRound.objects.filter(ticket=ticket).order_by("-id").first()
    assert current.status == ApprovalRound.Status.OPEN and current.tiers_needed == 2


def test_the_timeline_and_the_audit_log_keep_the_masked_before_and_after(customer, agent):
    ticket = captured(customer, agent, data={"email": "grace@example.org"})
    edit(ticket, agent, {"email": "hopper@example.net"})
    note = TicketEvent.objects.get(ticket=ticket, message__startswith="Change edited")
    assert note.actor == agent
    assert "g•••@example.org" in note.message and "h•••@example.net" in note.message
    assert "grace@" not in note.message and "hopper@" not in note.message
    event = AuditEvent.objects.get(action="ticket.change_edited")
    assert event.data["reference"] == ticket.reference
    assert event.data["changes"] == [
        {"label": "E-mail address", "before": "g•••@example.org", "after": "h•••@example.net"}
    ]
    assert "hopper@" not in str(event.data)


def test_a_secret_typed_again_is_a_new_vault_token_never_a_number(customer, agent):
    ticket = captured(customer, agent, category="billing", data=BILLING)
    before = ticket.items.get(field="bankaccount.vault_token").new_value
    edit(ticket, agent, {**BILLING, "iban": "FR1420041010050500013M02606"})
    item = ticket.items.get(field="bankaccount.vault_token")
    assert item.new_value != before and "20041010050500013" not in item.new_value
    note = TicketEvent.objects.get(ticket=ticket, message__startswith="Change edited")
    assert "20041010050500013" not in note.message


def test_an_item_left_out_of_the_edit_leaves_the_change(customer, agent):
    ticket = captured(customer, agent, data={**ADDRESS, "email": "grace@example.org"})
    edit(ticket, agent, ADDRESS)
    assert not ticket.items.filter(field="emailaddress.email").exists()
    note = TicketEvent.objects.get(ticket=ticket, message__startswith="Change edited")
    assert "g•••@example.org → —" in note.message


def test_an_edited_item_keeps_its_identity_so_earlier_proofs_stay_on_record(customer, agent):
    ticket = to_ready(captured(customer, agent, data={"email": "grace@example.org"}), agent)
    item_id = ticket.items.get(field="emailaddress.email").pk
    edit(ticket, agent, {"email": "grace.h@example.org"})
    item = ticket.items.get(field="emailaddress.email")
    assert item.pk == item_id and item.new_value == "grace.h@example.org"
    assert item.history.first().history_user == agent


def test_editing_a_new_ticket_leaves_it_new(customer, agent):
    ticket = captured(customer, agent, data={"email": "grace@example.org"})
    outcome = edit(ticket, agent, {"email": "grace.h@example.org"})
    assert outcome.state == State.NEW == Ticket.objects.get(pk=ticket.pk).state
    transition(ticket=ticket, to=State.VERIFYING, by=agent)


def test_dropping_and_re_adding_a_new_e_mail_does_not_reset_its_code_limit(customer, agent, clock):
    # Three codes went to the new address this hour; an edit that drops the e-mail and
    # another that adds it back must not let a fourth go (a victim's inbox flooded).
    from verification.models import OtpChallenge
    from verification.services import VerificationError, new_contacts, otp_send
    from verification.status import unproven_contacts

    ticket = captured(customer, agent, data={**ADDRESS, "email": "victim@example.org"})
    transition(ticket=ticket, to=State.VERIFYING, by=agent)
    for _ in range(3):
        prove_new_contacts(ticket, agent)  # a code each, as the wizard records them
    edit(ticket, agent, ADDRESS)
    assert OtpChallenge.objects.filter(destination="new:victim@example.org").count() == 3
    edit(ticket, agent, {**ADDRESS, "email": "victim@example.org"})
    # Detached codes prove nothing for the item added back.
    assert [i.new_value for i in unproven_contacts(ticket)] == ["victim@example.org"]
    key = next(c.key for c in new_contacts(ticket))
    clock.shift(120)  # past the minute between codes: only the hourly limit is left
    with pytest.raises(VerificationError, match="Three codes"):
        otp_send(ticket=ticket, staff=agent, contact_key=key)
