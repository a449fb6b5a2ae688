"""The ticket state machine (DESIGN 3): the one module that changes `Ticket.state`.

A table of allowed moves, each with the roles that may make it and a guard that names
what is missing. `transition()` locks the ticket row, re-reads its state, checks the
move, the role and the guard, writes the new state and a timeline event — so two people
pressing the same button at once give one move and one clear refusal. Buttons on a
ticket come from `allowed_moves()`.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from profiledesk.accounts.roles import Role, roles_of
from profiledesk.vault.cards import redact_card_numbers

from .models import State, Ticket, TicketEvent

FLOOR = frozenset({Role.AGENT, Role.SUPERVISOR})
SECURITY = frozenset({Role.SECURITY})
APPROVERS = frozenset({Role.SUPERVISOR, Role.COMPLIANCE})


class TransitionError(Exception):
    """A move that cannot be made now; the message is safe to show to the staff member."""


Guard = Callable[[Ticket], str | None]


def _has_customer_and_items(ticket: Ticket) -> str | None:
    if ticket.customer_id is None:
        return str(_("Match the request to a customer first."))
    if not ticket.items.exists():
        return str(_("The request has no change in it yet."))
    return None


def _verification_complete(ticket: Ticket) -> str | None:
    # Identity verification (DESIGN 4) records its result on the ticket; until the
    # wizard has reached the policy's level, the ticket stays in `verifying`.
    from verification.status import verification_missing

    return verification_missing(ticket)


def _verification_lapsed(ticket: Ticket) -> str | None:
    # A ready ticket whose verification has expired (30 minutes), or that a cooling-off
    # now holds below AL3, cannot be applied or submitted (profiledesk.apply.rules,
    # approvals.rules): the caller is verified again.
    from profiledesk.approvals.rules import cooling_off_problem
    from verification.status import verification_missing

    if verification_missing(ticket) is None and cooling_off_problem(ticket) is None:
        return str(_("The caller's verification still holds."))
    return None


def _approval_submit_problem(ticket: Ticket) -> str | None:
    from profiledesk.approvals.rules import submit_problem

    return submit_problem(ticket)


def _apply_problem(ticket: Ticket) -> str | None:
    from profiledesk.apply.rules import apply_guard

    return apply_guard(ticket)


def _close_problem(ticket: Ticket) -> str | None:
    from profiledesk.confirmations.rules import close_guard

    return close_guard(ticket)


def _approvals_only(ticket: Ticket) -> str | None:
    from profiledesk.approvals.rules import decision_only

    return decision_only(ticket)


def _rollback_only(ticket: Ticket) -> str | None:
    from profiledesk.rollback.rules import mark_guard

    return mark_guard(ticket)


@dataclass(frozen=True)
class Move:
    source: str
    target: str
    label: str
    roles: frozenset
    guard: Guard | None = None
    needs_reason: bool = False
    style: str = "primary"
    # The URL name its button posts to, when not the generic move form (tickets:move).
    via: str = ""


_CANCELLABLE = [
    State.NEW,
    State.VERIFYING,
    State.VERIFICATION_FAILED,
    State.READY,
    State.PENDING_APPROVAL,
]

MOVES: list[Move] = [
    Move(State.NEW, State.VERIFYING, _("Start verification"), FLOOR, _has_customer_and_items),
    Move(State.VERIFYING, State.READY, _("Mark verified"), FLOOR, _verification_complete),
    Move(
        State.VERIFYING,
        State.VERIFICATION_FAILED,
        _("Verification failed"),
        FLOOR,
        needs_reason=True,
        style="dark",
    ),
    Move(State.VERIFICATION_FAILED, State.VERIFYING, _("Retry verification"), FLOOR),
    Move(State.READY, State.VERIFYING, _("Verify again"), FLOOR, _verification_lapsed),
    *[
        Move(source, State.CANCELLED, _("Cancel"), FLOOR, needs_reason=True, style="secondary")
        for source in _CANCELLABLE
    ],
    *[
        Move(
            source,
            State.ESCALATED,
            _("Suspected fraud"),
            FLOOR | SECURITY,
            needs_reason=True,
            style="danger",
        )
        for source in _CANCELLABLE
    ],
    Move(State.ESCALATED, State.VERIFYING, _("Return to the flow"), SECURITY, needs_reason=True),
    Move(
        State.ESCALATED,
        State.REJECTED,
        _("Reject as fraud"),
        SECURITY,
        needs_reason=True,
        style="danger",
    ),
    # Approvals (profiledesk/approvals): the submit button posts to approvals:submit,
    # which re-assesses risk first (critical: escalated instead). Decisions and voids
    # are made by the approvals services only (their guard refuses the move form).
    Move(
        State.READY,
        State.PENDING_APPROVAL,
        _("Submit for approval"),
        FLOOR,
        _approval_submit_problem,
        via="approvals:submit",
    ),
    Move(State.PENDING_APPROVAL, State.APPROVED, _("Approve"), APPROVERS, _approvals_only),
    Move(
        State.PENDING_APPROVAL,
        State.REJECTED,
        _("Reject"),
        APPROVERS,
        _approvals_only,
        needs_reason=True,
        style="danger",
    ),
    Move(State.PENDING_APPROVAL, State.READY, _("Void approvals"), frozenset(), _approvals_only),
    Move(State.APPROVED, State.READY, _("Void approvals"), frozenset(), _approvals_only),
    # Applying (profiledesk/apply): the button posts to apply:apply, whose service writes
    # the profile and the outboxes in the same transaction as the move.
    *[
        Move(source, State.APPLIED, _("Apply"), FLOOR, _apply_problem, via="apply:apply")
        for source in (State.READY, State.APPROVED)
    ],
    # Confirmations (profiledesk/confirmations): ticket_close_if_done closes an applied
    # ticket once every confirmation is sent and every downstream system acknowledged.
    Move(State.APPLIED, State.CLOSED, _("Close"), frozenset(), _close_problem),
    # Rollback (profiledesk/rollback): applying a rollback ticket moves the ticket it rolls
    # back, in the apply transaction; no button offers it (the guard refuses the form).
    *[
        Move(source, State.ROLLED_BACK, _("Mark rolled back"), frozenset(), _rollback_only)
        for source in (State.APPLIED, State.CLOSED)
    ],
]
_BY_EDGE = {(move.source, move.target): move for move in MOVES}


def move_between(source: str, target: str) -> Move | None:
    return _BY_EDGE.get((source, target))


_system: ContextVar[bool] = ContextVar("tickets_system_move", default=False)


@contextmanager
def system_move() -> Iterator[None]:
    """Moves the desk itself makes (by=None), e.g. escalating a customer's "this wasn't
    me" report (profiledesk.confirmations): the role check is skipped for by=None only;
    guards and reasons still apply."""
    token = _system.set(True)
    try:
        yield
    finally:
        _system.reset(token)


def _problem(move: Move, ticket: Ticket, user) -> str | None:
    # A move with no roles is made by a service only (its guard says which).
    by_system = user is None and _system.get()
    if move.roles and not by_system and not roles_of(user) & move.roles:
        return str(_("Your role cannot do this."))
    return move.guard(ticket) if move.guard else None


def allowed_moves(ticket: Ticket, user) -> list[Move]:
    """The moves `user` may make on `ticket` now: what its buttons offer."""
    return [
        move
        for move in MOVES
        if move.source == ticket.state and _problem(move, ticket, user) is None
    ]


def transition(*, ticket: Ticket, to: str, by, reason: str = "") -> Ticket:
    """Move `ticket` to state `to`, or raise TransitionError saying why not."""
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        move = _BY_EDGE.get((locked.state, to))
        if to not in State.values:
            raise TransitionError(_("That is not a state a ticket can be in."))
        if move is None:
            raise TransitionError(
                _("A ticket that is “%(state)s” cannot become “%(to)s”.")
                % {"state": locked.get_state_display(), "to": State(to).label}
            )
        reason = redact_card_numbers(reason.strip())
        if move.needs_reason and not reason:
            raise TransitionError(_("Give a reason."))
        problem = _problem(move, locked, by)
        if problem:
            raise TransitionError(problem)
        now = timezone.now()
        previous = locked.state
        locked.state = to
        locked.updated_at = now
        locked._change_reason = f"{previous} → {to}"
        locked.save(update_fields=["state", "updated_at"])
        TicketEvent.objects.create(
            ticket=locked,
            at=now,
            actor=by,
            kind=TicketEvent.Kind.TRANSITION,
            from_state=previous,
            to_state=to,
            message=reason,
        )
    ticket.state, ticket.updated_at = locked.state, locked.updated_at
    return locked
