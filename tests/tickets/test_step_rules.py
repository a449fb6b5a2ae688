"""Each step owns its rule: tickets.states keeps the table of moves and who may make them,
marks the moves only a step's service makes, and asks the rules the steps register; it
imports nothing above it, and no ambient flag switches a rule off."""

import ast
import re
from pathlib import Path

import pytest
from django.urls import reverse

from profiledesk.tickets import states
from profiledesk.tickets.models import State, TicketEvent
from profiledesk.tickets.states import MOVES, TransitionError, allowed_moves, transition
from tests.conftest import signed_in
from tests.factories import TicketFactory

ROOT = Path(__file__).resolve().parents[2]
APP_CODE = [ROOT / "profiledesk", ROOT / "verification", ROOT / "audit"]
STEPS = (
    "verification",
    "profiledesk.approvals",
    "profiledesk.apply",
    "profiledesk.confirmations",
    "profiledesk.rollback",
)
SERVICE_ONLY = [move for move in MOVES if move.service_only]


def _at(ticket, state):
    ticket.state = state  # setup: the ticket is at the move's source already
    ticket.save(update_fields=["state"])
    return ticket


@pytest.fixture
def ticket(customer, agent):
    return TicketFactory(customer=customer, created_by=agent)


def test_the_table_marks_every_step_move_as_service_only():
    step_moves = {
        (State.VERIFYING, State.READY),
        (State.READY, State.PENDING_APPROVAL),
        (State.PENDING_APPROVAL, State.APPROVED),
        (State.PENDING_APPROVAL, State.REJECTED),
        (State.PENDING_APPROVAL, State.READY),
        (State.APPROVED, State.READY),
        (State.READY, State.APPLIED),
        (State.APPROVED, State.APPLIED),
        (State.APPLIED, State.CLOSED),
        (State.APPLIED, State.ROLLED_BACK),
        (State.CLOSED, State.ROLLED_BACK),
        # Security closes a resolved "this wasn't me" report (confirmations.report_close).
        (State.ESCALATED, State.CLOSED),
        (State.VERIFYING, State.CLOSED),
    }
    assert {(m.source, m.target) for m in SERVICE_ONLY} == step_moves


@pytest.mark.parametrize("move", SERVICE_ONLY, ids=lambda m: f"{m.source}->{m.target}")
def test_the_move_form_refuses_every_service_only_move(move, ticket, personas):
    # The supervisor holds every role these moves name (floor and approver).
    _at(ticket, move.source)
    response = signed_in(personas["supervisor"]).post(
        reverse("tickets:move", args=[ticket.reference]),
        {"to": move.target, "reason": "Looks fine to me"},
        follow=True,
    )
    assert response.status_code == 200
    assert move.refused() in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.state == move.source
    assert not TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.TRANSITION).exists()


@pytest.mark.parametrize("move", SERVICE_ONLY, ids=lambda m: f"{m.source}->{m.target}")
def test_a_service_only_move_is_refused_without_service_even_when_its_rule_holds(
    move, ticket, personas, monkeypatch
):
    monkeypatch.setitem(states._STEP_RULES, (move.source, move.target), lambda ticket: None)
    _at(ticket, move.source)
    with pytest.raises(TransitionError) as refused:
        transition(ticket=ticket, to=move.target, by=personas["supervisor"], reason="x")
    assert str(refused.value) == move.refused()
    ticket.refresh_from_db()
    assert ticket.state == move.source


def test_a_service_move_still_checks_the_role_of_the_person_it_acts_for(ticket, personas):
    _at(ticket, State.VERIFYING)
    with pytest.raises(TransitionError, match="role"):
        transition(ticket=ticket, to=State.READY, by=personas["compliance"], service=True)
    transition(ticket=ticket, to=State.READY, by=None, service=True)  # the desk itself
    ticket.refresh_from_db()
    assert ticket.state == State.READY


def test_a_button_of_a_step_is_offered_only_by_the_rule_the_step_registered(ticket, personas):
    # Buttons with a page of their own have their step's rule; the moves no button
    # offers (decisions, voids, close, rolled back) have none and are never offered.
    for move in SERVICE_ONLY:
        assert (states.step_rule(move) is not None) == bool(move.via), move
    agent = personas["agent"]
    _at(ticket, State.VERIFYING)
    assert State.READY not in {m.target for m in allowed_moves(ticket, agent)}  # not verified
    for state in (State.PENDING_APPROVAL, State.APPLIED, State.CLOSED):
        _at(ticket, state)
        assert not any(m.service_only for m in allowed_moves(ticket, personas["supervisor"]))


def _imports(path: Path) -> list[str]:
    # Every import, at module level or inside a function.
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_tickets_imports_nothing_from_the_steps_above_it():
    tickets = ROOT / "profiledesk" / "tickets"
    found = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted(tickets.rglob("*.py"))
        for name in _imports(path)
        if any(name == step or name.startswith(step + ".") for step in STEPS)
    ]
    assert found == []


# A context variable that chooses where a read goes and never whether anything is
# allowed: the read-replica scope. Its one reader is the router's db_for_read (below).
CONNECTION_CHOICE_ONLY = {"profiledesk/replica.py"}


def test_no_context_variable_switches_anything_in_app_code():
    found = [
        str(path.relative_to(ROOT))
        for base in APP_CODE
        for path in sorted(base.rglob("*.py"))
        if re.search(r"\bContextVar\b|\bcontextvars\b", path.read_text())
    ]
    assert sorted(set(found) - CONNECTION_CHOICE_ONLY) == []


def test_the_replica_scope_is_read_only_to_choose_a_connection():
    tree = ast.parse((ROOT / "profiledesk" / "replica.py").read_text())
    readers = [
        function.name
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Attribute)
        and node.attr == "get"
        and isinstance(node.value, ast.Name)
        and node.value.id == "_reading"
    ]
    assert readers == ["db_for_read"]
