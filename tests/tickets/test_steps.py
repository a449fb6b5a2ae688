"""tickets.steps: the ticket page's step header says, for every state, where the ticket
is on its way and which button moves it on, without a query of its own."""

import pytest

from profiledesk.tickets.models import State
from profiledesk.tickets.states import MOVES, Move, allowed_moves
from profiledesk.tickets.steps import ticket_step
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def _moves(source: str, *targets: str) -> list[Move]:
    return [m for m in MOVES if m.source == source and m.target in targets]


def _step(ticket, state, moves=()):
    ticket.state = state
    return ticket_step(ticket=ticket, moves=list(moves))


@pytest.fixture
def ticket(customer, agent):
    return TicketFactory(customer=customer, created_by=agent)


@pytest.mark.parametrize(
    ("state", "current", "done"),
    [
        (State.NEW, "Request", []),
        (State.VERIFYING, "Verify the caller", ["Request"]),
        (State.VERIFICATION_FAILED, "Verify the caller", ["Request"]),
        (State.READY, "Approval", ["Request", "Verify the caller"]),
        (State.PENDING_APPROVAL, "Approval", ["Request", "Verify the caller"]),
        (State.APPROVED, "Apply", ["Request", "Verify the caller", "Approval"]),
        (State.APPLIED, "Confirm", ["Request", "Verify the caller", "Approval", "Apply"]),
    ],
)
def test_each_open_state_sits_at_one_step_with_the_earlier_ones_done(
    ticket, state, current, done, django_assert_num_queries
):
    with django_assert_num_queries(0):
        step = _step(ticket, state)
    marked = [s.label for s in step.steps if s.status == "current"]
    assert marked == [current] and step.current_label == current
    assert [s.label for s in step.steps if s.status == "done"] == done
    assert step.now and not step.finished


def test_the_header_names_the_button_that_moves_the_ticket_on(ticket):
    step = _step(ticket, State.NEW, _moves(State.NEW, State.VERIFYING, State.CANCELLED))
    assert step.action == "Start verification"  # not Cancel, which asks a reason
    assert _step(ticket, State.VERIFYING, _moves(State.VERIFYING, State.CANCELLED)).action == ""


def test_a_ready_ticket_whose_policy_needs_no_approval_is_at_apply(ticket):
    step = _step(ticket, State.READY, _moves(State.READY, State.APPLIED, State.CANCELLED))
    assert (step.current_label, step.action) == ("Apply", "Apply")
    assert "needs no approval" in step.now
    submit = _step(ticket, State.READY, _moves(State.READY, State.PENDING_APPROVAL))
    assert (submit.current_label, submit.action) == ("Approval", "Submit for approval")
    assert submit.now == "Verified and valid: submit it for approval."


def test_finished_and_off_path_states_say_so(ticket):
    closed = _step(ticket, State.CLOSED)
    assert closed.finished and closed.current_label == "Closed"
    assert all(s.status == "done" for s in closed.steps)
    rejected = _step(ticket, State.REJECTED)
    assert rejected.finished and "nothing was changed" in rejected.now
    assert [s.status for s in rejected.steps][:3] == ["done", "done", "stopped"]
    for state in (State.CANCELLED, State.ESCALATED, State.ROLLED_BACK):
        step = _step(ticket, state)
        assert step.steps == [] and step.current_label == State(state).label and step.now
    assert not _step(ticket, State.ESCALATED).finished


def test_a_request_without_customer_or_change_says_what_comes_first(ticket):
    ticket.customer_id = None
    assert "Match the request to a customer" in _step(ticket, State.NEW).now
    ticket.customer_id = 1
    step = ticket_step(ticket=ticket, moves=[], has_items=False)
    assert "Capture the change" in step.now


def test_the_actions_offer_the_next_step_first_and_the_moves_asking_a_reason_after(ticket, agent):
    labels = [str(m.label) for m in allowed_moves(ticket, agent)]
    assert labels == ["Start verification", "Cancel", "Suspected fraud"]
