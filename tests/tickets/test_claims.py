"""One person at a time (issue 14): working a ticket needs it claimed by you; a supervisor
takes it over (recorded, audited); deciding is another role, and four eyes still hold.

The attacks first: a second agent working a ticket someone else holds (codes to the same
customer twice), claiming a closed ticket or one security holds, an agent "stealing" a
claim, the approver who took the ticket over applying what they approved.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from profiledesk.apply.services import ticket_apply
from profiledesk.approvals.services import ApprovalError, approval_grant, approval_submit
from profiledesk.messaging.models import Message
from profiledesk.tickets.models import State, TicketEvent
from profiledesk.tickets.services import (
    TicketError,
    ticket_claim,
    ticket_comment,
    ticket_take_over,
)
from profiledesk.tickets.states import MOVES, TransitionError, allowed_moves, transition
from tests.approvals.helpers import ready_ticket
from tests.conftest import make_staff
from tests.factories import claimed, document_upload
from tests.verification.helpers import email_key, open_ticket
from verification.models import Attempt, DocumentCheck, OtpChallenge
from verification.services import (
    VerificationError,
    document_check_record,
    otp_send,
    questions_check,
    verification_complete,
)

CLAIM_FIRST = "Claim this ticket first"


@pytest.fixture
def held(customer, agent):
    """A verifying ticket the agent opened from a call (so it is theirs)."""
    return open_ticket(customer, agent)


@pytest.fixture
def second_agent(northwind):
    return make_staff("agent2", "agent", northwind)


# --- the rule, in every step that works the ticket ---------------------------------------


def test_another_agent_cannot_send_a_code_on_a_ticket_someone_else_holds(
    held, second_agent, customer
):
    with pytest.raises(VerificationError, match=f"{CLAIM_FIRST} — it is assigned to "):
        otp_send(ticket=held, staff=second_agent, contact_key=email_key(customer))
    assert not OtpChallenge.objects.exists()
    assert not Message.objects.exists()


def test_another_agent_cannot_check_answers_or_documents(held, second_agent):
    with pytest.raises(VerificationError, match=CLAIM_FIRST):
        questions_check(ticket=held, staff=second_agent, answers={})
    with pytest.raises(VerificationError, match=CLAIM_FIRST):
        document_check_record(
            ticket=held,
            staff=second_agent,
            upload=document_upload(),
            document_type="passport",
            checklist={},
        )
    assert not Attempt.objects.exists()
    assert not DocumentCheck.objects.exists()


def test_the_message_names_who_holds_it(held, second_agent, agent):
    with pytest.raises(TransitionError) as refused:
        transition(ticket=held, to=State.CANCELLED, by=second_agent, reason="dup")
    assert str(refused.value) == f"{CLAIM_FIRST} — it is assigned to {agent}."


def test_an_unclaimed_ticket_is_worked_by_nobody_until_claimed(customer, agent):
    ticket = open_ticket(customer, agent, verifying=False)
    claimed(ticket, None)
    with pytest.raises(TransitionError, match="nobody is working it yet"):
        transition(ticket=ticket, to=State.VERIFYING, by=agent)
    ticket_claim(ticket=ticket, by=agent)
    transition(ticket=ticket, to=State.VERIFYING, by=agent)
    assert ticket.state == State.VERIFYING


def test_submit_mark_verified_and_apply_need_the_claim(customer, personas, second_agent):
    agent = personas["agent"]
    ticket = ready_ticket(customer, agent, category="billing")
    with pytest.raises(TransitionError, match=CLAIM_FIRST):
        approval_submit(ticket=ticket, by=second_agent)
    verifying = open_ticket(customer, agent)
    with pytest.raises(TransitionError, match=CLAIM_FIRST):
        verification_complete(ticket=verifying, by=second_agent)
    applicable = ready_ticket(customer, agent, category="contact")
    with pytest.raises(TransitionError, match=CLAIM_FIRST):
        ticket_apply(ticket=applicable, by=second_agent)
    applicable.refresh_from_db()
    assert applicable.state == State.READY


def test_the_buttons_of_working_moves_are_not_offered_to_someone_else(held, second_agent, agent):
    offered = {move.target for move in allowed_moves(held, second_agent)}
    # Raising the alarm needs no claim; working it does.
    assert offered == {State.ESCALATED}
    assert State.CANCELLED in {move.target for move in allowed_moves(held, agent)}


def test_anyone_on_the_floor_may_raise_suspected_fraud_and_comment(held, second_agent):
    ticket_comment(ticket=held, by=second_agent, body="The caller sounded scripted.")
    transition(ticket=held, to=State.ESCALATED, by=second_agent, reason="scripted caller")
    assert held.state == State.ESCALATED


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_every_working_move_is_refused_to_anyone_but_the_assignee(data, customer, personas):
    """Whatever working move, from whatever state, by whoever else of the floor: refused
    with the claim message, and the ticket does not move."""
    moves = [m for m in MOVES if m.needs_claim]
    move = data.draw(st.sampled_from(moves))
    actor = personas[data.draw(st.sampled_from(["agent", "supervisor"]))]
    holder = data.draw(st.sampled_from([None, "other"]))
    ticket = open_ticket(customer, personas["agent"], verifying=False)
    other = personas["supervisor"] if actor == personas["agent"] else personas["agent"]
    ticket.state = move.source  # put there as a row: the test is of the claim, not the path
    ticket.save(update_fields=["state"])
    claimed(ticket, other if holder == "other" else None)
    with pytest.raises(TransitionError, match=CLAIM_FIRST):
        transition(ticket=ticket, to=move.target, by=actor, reason="r", service=move.service_only)
    ticket.refresh_from_db()
    assert ticket.state == move.source


# --- claiming ----------------------------------------------------------------------------


def test_an_agent_cannot_steal_a_claim(held, second_agent, agent):
    with pytest.raises(TicketError, match="has already claimed this ticket"):
        ticket_claim(ticket=held, by=second_agent)
    held.refresh_from_db()
    assert held.assignee == agent


def test_a_closed_ticket_cannot_be_claimed(held, second_agent):
    claimed(held, None)
    transition(ticket=held, to=State.ESCALATED, by=second_agent, reason="fraud")
    transition(ticket=held, to=State.REJECTED, by=None, reason="fraud", service=True)
    with pytest.raises(TicketError, match="no longer open"):
        ticket_claim(ticket=held, by=second_agent)


# --- take over -----------------------------------------------------------------------------


def test_a_supervisor_takes_over_recorded_and_audited(held, personas, agent, customer):
    supervisor = personas["supervisor"]
    ticket_take_over(ticket=held, by=supervisor, reason="agent on a break")
    held.refresh_from_db()
    assert held.assignee == supervisor
    event = held.events.filter(kind=TicketEvent.Kind.ASSIGNED).last()
    assert event.actor == supervisor
    assert event.message == f"Taken over by {supervisor} from {agent}. agent on a break"
    audit = AuditEvent.objects.get(action="ticket.taken_over")
    assert audit.data["from"] == agent.pk
    # Now the supervisor works it, and the agent no longer can.
    otp_send(ticket=held, staff=supervisor, contact_key=email_key(customer))
    with pytest.raises(VerificationError, match=f"assigned to {supervisor}"):
        otp_send(ticket=held, staff=agent, contact_key=email_key(customer))


@pytest.mark.parametrize("role", ["agent", "compliance", "security"])
def test_only_a_supervisor_takes_over(held, personas, role, agent):
    with pytest.raises(TicketError, match="Only a supervisor"):
        ticket_take_over(ticket=held, by=personas[role])
    held.refresh_from_db()
    assert held.assignee == agent
    assert not AuditEvent.objects.filter(action="ticket.taken_over").exists()


def test_a_supervisor_cannot_take_over_what_security_holds(held, personas):
    transition(ticket=held, to=State.ESCALATED, by=personas["agent"], reason="fraud")
    with pytest.raises(TicketError, match="security team"):
        ticket_take_over(ticket=held, by=personas["supervisor"])


# --- deciding is another role; four eyes hold -----------------------------------------------


def test_approving_needs_no_claim_but_the_assignee_never_approves(customer, personas):
    agent, supervisor = personas["agent"], personas["supervisor"]
    ticket = ready_ticket(customer, agent, category="billing")
    approval_submit(ticket=ticket, by=agent)
    # A supervisor who takes it over (e.g. to answer the customer) cannot approve it too.
    ticket_take_over(ticket=ticket, by=supervisor)
    with pytest.raises(ApprovalError, match="assigned to you"):
        approval_grant(ticket=ticket, by=supervisor)
    # Handed back, the same supervisor approves without holding it.
    claimed(ticket, agent)
    approval_grant(ticket=ticket, by=supervisor)
    assert ticket.state == State.APPROVED


def test_the_approver_who_takes_it_over_does_not_apply_it(customer, personas):
    agent, supervisor = personas["agent"], personas["supervisor"]
    ticket = ready_ticket(customer, agent, category="billing")
    approval_submit(ticket=ticket, by=agent)
    approval_grant(ticket=ticket, by=supervisor)
    ticket_take_over(ticket=ticket, by=supervisor)
    with pytest.raises(TransitionError, match="You approved this change"):
        ticket_apply(ticket=ticket, by=supervisor)
    ticket.refresh_from_db()
    assert ticket.state == State.APPROVED
