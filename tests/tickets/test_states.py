"""The ticket state machine: the table, its guards, roles, events, and concurrency."""

import threading
import time

import pytest
from django.db import connection

from profiledesk.tickets import states
from profiledesk.tickets.models import State, Ticket, TicketEvent
from profiledesk.tickets.states import MOVES, TransitionError, allowed_moves, transition
from tests.factories import TicketFactory
from verification.services import verification_complete


@pytest.fixture
def ticket(customer, agent):
    return TicketFactory(customer=customer, created_by=agent)


def test_a_legal_move_changes_state_and_records_who_and_why(ticket, agent):
    transition(ticket=ticket, to=State.VERIFYING, by=agent)
    ticket.refresh_from_db()
    assert ticket.state == State.VERIFYING
    event = ticket.events.get(kind=TicketEvent.Kind.TRANSITION)
    assert (event.from_state, event.to_state, event.actor) == ("new", "verifying", agent)


def test_an_illegal_move_is_refused_and_changes_nothing(ticket, agent):
    with pytest.raises(TransitionError, match="cannot become"):
        transition(ticket=ticket, to=State.APPLIED, by=agent)
    ticket.refresh_from_db()
    assert ticket.state == State.NEW
    assert not ticket.events.filter(kind=TicketEvent.Kind.TRANSITION).exists()


def test_a_role_outside_the_move_is_refused(ticket, personas):
    with pytest.raises(TransitionError, match="role"):
        transition(ticket=ticket, to=State.VERIFYING, by=personas["compliance"])


def test_cancelling_needs_a_reason_and_card_numbers_in_it_are_masked(ticket, agent):
    with pytest.raises(TransitionError, match="reason"):
        transition(ticket=ticket, to=State.CANCELLED, by=agent, reason="  ")
    transition(
        ticket=ticket,
        to=State.CANCELLED,
        by=agent,
        reason="Caller read out 4111 1111 1111 1111, hung up",
    )
    message = ticket.events.get(to_state="cancelled").message
    assert "4111 1111 1111 1111" not in message
    assert "411111" in message and "1111" in message


def test_verification_must_be_complete_before_a_ticket_is_ready(ticket, agent):
    transition(ticket=ticket, to=State.VERIFYING, by=agent)
    with pytest.raises(TransitionError, match="AL2"):
        verification_complete(ticket=ticket, by=agent)


def test_a_ticket_without_a_customer_cannot_start_verification(northwind, agent):
    ticket = Ticket.objects.create(
        client=northwind,
        channel="email",
        category="contact",
        assignee=agent,
        sla_due_at="2030-01-01T00:00Z",
        created_at="2026-01-01T00:00Z",
        updated_at="2026-01-01T00:00Z",
    )
    with pytest.raises(TransitionError, match="customer"):
        transition(ticket=ticket, to=State.VERIFYING, by=agent)


def test_buttons_offer_exactly_the_moves_the_user_may_make(ticket, personas):
    agent_moves = {m.target for m in allowed_moves(ticket, personas["agent"])}
    assert agent_moves == {State.VERIFYING, State.CANCELLED, State.ESCALATED}
    assert allowed_moves(ticket, personas["compliance"]) == []
    security_moves = {m.target for m in allowed_moves(ticket, personas["security"])}
    assert security_moves == {State.ESCALATED}


def test_only_security_returns_an_escalated_ticket_to_the_flow(ticket, personas):
    transition(ticket=ticket, to=State.ESCALATED, by=personas["agent"], reason="Odd caller")
    with pytest.raises(TransitionError):
        transition(ticket=ticket, to=State.VERIFYING, by=personas["agent"], reason="fine")
    transition(ticket=ticket, to=State.VERIFYING, by=personas["security"], reason="Checked")
    assert ticket.state == State.VERIFYING


def test_every_move_in_the_table_starts_and_ends_on_a_real_state():
    for move in MOVES:
        assert move.source in State.values and move.target in State.values


# Calls that write the fields they are given (a filter, exclude or get only reads them).
_WRITING_CALLS = {"create", "update", "update_or_create", "get_or_create", "Ticket"}


def _state_writes(source: str) -> list[int]:
    """Lines of `source` that write a ticket's state: `x.state = …`, or `state=State.X`
    (X not NEW, which every ticket starts in) given to a call that writes."""
    import ast

    lines = []
    for node in ast.walk(ast.parse(source)):
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        lines += [t.lineno for t in targets if isinstance(t, ast.Attribute) and t.attr == "state"]
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            for keyword in node.keywords if name in _WRITING_CALLS else []:
                value = keyword.value
                if keyword.arg == "state" and not (
                    isinstance(value, ast.Attribute) and value.attr == "NEW"
                ):
                    lines.append(keyword.lineno)
    return lines


def test_the_state_write_check_sees_writes_and_not_reads():
    assert _state_writes("ticket.state = State.READY\n") == [1]
    assert _state_writes("Ticket.objects.filter(pk=1).update(state=State.CLOSED)\n") == [1]
    assert _state_writes("Ticket.objects.create(client=c, state=State.APPLIED)\n") == [1]
    assert _state_writes("Ticket.objects.create(client=c, state=State.NEW)\n") == []
    assert _state_writes("Ticket.objects.exclude(state=State.ESCALATED)\n") == []
    assert _state_writes("if ticket.state == State.READY:\n    pass\n") == []


def test_state_is_written_only_by_the_state_machine():
    """House rule as a check: no module but states.py assigns Ticket.state, in any of the
    project's packages (profiledesk/, and the top-level apps such as verification/ and
    audit/ that write tickets too). Reads (filters, comparisons) are not writes."""
    import pathlib

    repo = pathlib.Path(__file__).resolve().parents[2]
    packages = [
        path.parent
        for path in repo.glob("*/__init__.py")
        if path.parent.name not in {"tests", "node_modules", ".venv"}
    ]
    assert {"profiledesk", "verification", "audit"} <= {p.name for p in packages}
    offenders = [
        f"{path.relative_to(repo)}:{line}"
        for package in packages
        for path in package.rglob("*.py")
        if path != repo / "profiledesk" / "tickets" / "states.py"
        and "migrations" not in path.parts
        and "demo" not in path.parts  # demo data is inserted in every state, in bulk
        for line in _state_writes(path.read_text())
    ]
    assert offenders == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_agents_pressing_the_same_button_at_once_make_one_move(monkeypatch, personas, customer):
    ticket = TicketFactory(customer=customer, created_by=personas["agent"])
    original = states._problem

    def slow_problem(*args):
        time.sleep(0.3)  # hold the row lock while the other request arrives
        return original(*args)

    monkeypatch.setattr(states, "_problem", slow_problem)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def press(user):
        barrier.wait()
        try:
            transition(ticket=Ticket.objects.get(pk=ticket.pk), to=State.VERIFYING, by=user)
            outcomes.append("moved")
        except TransitionError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(personas[r],)) for r in ("agent", "supervisor")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["moved", "refused"]
    assert TicketEvent.objects.filter(ticket=ticket, to_state="verifying").count() == 1
