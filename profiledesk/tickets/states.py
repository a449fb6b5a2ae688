"""The ticket state machine (docs/design.md §3): the one module that changes `Ticket.state`.

A table of allowed moves, each with the roles that may make it. `transition()` locks the
ticket row, re-reads its state, checks the move, the role and the rule, writes the new
state and a timeline event — so two people pressing the same button at once give one move
and one clear refusal. Buttons on a ticket come from `allowed_moves()`.

This module knows no step above it. A step's rule (verification complete, submit for
approval, apply, ...) lives with the step, which registers it here at app ready
(`step_rule_register`), so that the ticket's buttons still come from one place. A move
marked `service_only` is made by the step's service alone: the service locks the row,
checks its own rule and calls `transition(..., service=True)`; the generic move form
(service=False) refuses it.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from profiledesk.accounts.roles import Role, roles_of
from profiledesk.intake.avatars import avatars_discard
from profiledesk.vault.cards import redact_card_numbers

from .claims import claim_problem
from .models import ChangeItem, State, Ticket, TicketEvent
from .signals import ticket_moved

FLOOR = frozenset({Role.AGENT, Role.SUPERVISOR})
SECURITY = frozenset({Role.SECURITY})
APPROVERS = frozenset({Role.SUPERVISOR, Role.COMPLIANCE})


class TransitionError(Exception):
    """A move that cannot be made now; the message is safe to show to the staff member."""


# What keeps a move from being made now (a message), or None.
Rule = Callable[[Ticket], str | None]


def _has_customer_and_items(ticket: Ticket) -> str | None:
    if ticket.customer_id is None:
        return str(_("Match the request to a customer first."))
    if not ticket.items.exists():
        return str(_("The request has no change in it yet."))
    return None


@dataclass(frozen=True)
class Move:
    source: str
    target: str
    label: str
    roles: frozenset
    # A rule of the tickets app itself; a step's rule is registered (step_rule_register).
    guard: Rule | None = None
    needs_reason: bool = False
    style: str = "primary"
    # The URL name its button posts to, when not the generic move form (tickets:move).
    via: str = ""
    # Made by the owning step's service only (transition(..., service=True)); the generic
    # move form is refused with `refusal`, or "Use the button" when the move has a `via`.
    service_only: bool = False
    refusal: str = ""
    # Working the ticket: only its assignee makes this move (claims.claim_problem).
    # Deciding (approve, reject, security's review) and raising the alarm need no claim.
    needs_claim: bool = False

    def refused(self) -> str:
        if self.refusal:
            return str(self.refusal)
        return str(_("Use the “%(label)s” button.") % {"label": self.label})


_CANCELLABLE = [
    State.NEW,
    State.VERIFYING,
    State.VERIFICATION_FAILED,
    State.READY,
    State.PENDING_APPROVAL,
]
_DECISION = _("Approve or reject from the approval panel.")

MOVES: list[Move] = [
    Move(
        State.NEW,
        State.VERIFYING,
        _("Start verification"),
        FLOOR,
        _has_customer_and_items,
        needs_claim=True,
    ),
    # Identity verification (verification.services.verification_complete): the wizard
    # must have reached the policy's level.
    Move(
        State.VERIFYING,
        State.READY,
        _("Mark verified"),
        FLOOR,
        via="verification:complete",
        service_only=True,
        needs_claim=True,
    ),
    Move(
        State.VERIFYING,
        State.VERIFICATION_FAILED,
        _("Verification failed"),
        FLOOR,
        needs_reason=True,
        style="dark",
        needs_claim=True,
    ),
    Move(
        State.VERIFICATION_FAILED,
        State.VERIFYING,
        _("Retry verification"),
        FLOOR,
        needs_claim=True,
    ),
    # Offered once the verification has lapsed (the rule: approvals.rules.verify_again_problem).
    Move(State.READY, State.VERIFYING, _("Verify again"), FLOOR, needs_claim=True),
    *[
        Move(
            source,
            State.CANCELLED,
            _("Cancel"),
            FLOOR,
            needs_reason=True,
            style="secondary",
            needs_claim=True,
        )
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
    # A customer's "this wasn't me" report (profiledesk/confirmations), resolved by
    # security: closed with a reason, escalated or after "Return to the flow" left it
    # verifying with nothing to verify. The rule (a report ticket with no change in it) is
    # confirmations', its service confirmations.services.report_close.
    *[
        Move(
            source,
            State.CLOSED,
            _("Close report"),
            SECURITY,
            needs_reason=True,
            style="success",
            via="security:close_report",
            service_only=True,
        )
        for source in (State.ESCALATED, State.VERIFYING)
    ],
    # Approvals (profiledesk/approvals/services.py): the submit button posts to
    # approvals:submit, which re-assesses risk first (critical: escalated instead).
    # Decisions and voids are made by the approvals services only.
    Move(
        State.READY,
        State.PENDING_APPROVAL,
        _("Submit for approval"),
        FLOOR,
        via="approvals:submit",
        service_only=True,
        needs_claim=True,
    ),
    Move(
        State.PENDING_APPROVAL,
        State.APPROVED,
        _("Approve"),
        APPROVERS,
        service_only=True,
        refusal=_DECISION,
    ),
    Move(
        State.PENDING_APPROVAL,
        State.REJECTED,
        _("Reject"),
        APPROVERS,
        needs_reason=True,
        style="danger",
        service_only=True,
        refusal=_DECISION,
    ),
    *[
        Move(
            source,
            State.READY,
            _("Void approvals"),
            frozenset(),
            service_only=True,
            refusal=_DECISION,
        )
        for source in (State.PENDING_APPROVAL, State.APPROVED)
    ],
    # Applying (profiledesk/apply/services.py): the button posts to apply:apply, whose
    # service writes the profile and the outboxes in the same transaction as the move.
    *[
        Move(
            source,
            State.APPLIED,
            _("Apply"),
            FLOOR,
            via="apply:apply",
            service_only=True,
            needs_claim=True,
        )
        for source in (State.READY, State.APPROVED)
    ],
    # Confirmations (profiledesk/confirmations/services.py): ticket_close_if_done closes
    # an applied ticket once every confirmation is sent and every downstream system
    # acknowledged. No button offers it.
    Move(
        State.APPLIED,
        State.CLOSED,
        _("Close"),
        frozenset(),
        service_only=True,
        refusal=_(
            "The ticket closes by itself once the customer is told and every downstream "
            "system that receives the change has acknowledged it."
        ),
    ),
    # Rollback (profiledesk/rollback/services.py): applying a rollback ticket moves the
    # ticket it rolls back, in the apply transaction. No button offers it.
    *[
        Move(
            source,
            State.ROLLED_BACK,
            _("Mark rolled back"),
            frozenset(),
            service_only=True,
            refusal=_("A ticket becomes rolled back when its rollback ticket is applied."),
        )
        for source in (State.APPLIED, State.CLOSED)
    ],
]
_BY_EDGE = {(move.source, move.target): move for move in MOVES}


def move_between(source: str, target: str) -> Move | None:
    return _BY_EDGE.get((source, target))


# --- the steps' rules ------------------------------------------------------------------

_STEP_RULES: dict[tuple[str, str], Rule] = {}


def step_rule_register(*, target: str, rule: Rule, sources: Iterable[str] | None = None) -> None:
    """A step above tickets says when its move to `target` (from `sources`, else from every
    source the table has) may be made: called from the step's AppConfig.ready(). A
    service-only move with no rule is never offered as a button."""
    edges = [
        edge
        for edge in _BY_EDGE
        if edge[1] == target and (sources is None or edge[0] in set(sources))
    ]
    if not edges:
        raise LookupError(f"No move to {target!r} from {sources!r}.")
    for edge in edges:
        _STEP_RULES[edge] = rule


def step_rule(move: Move) -> Rule | None:
    return _STEP_RULES.get((move.source, move.target))


def _role_problem(move: Move, user, *, service: bool) -> str | None:
    # A move with no roles is made by a service only; a service may act as the desk
    # itself (by=None), e.g. escalating a customer's "this wasn't me" report.
    if not move.roles or (service and user is None):
        return None
    if not roles_of(user) & move.roles:
        return str(_("Your role cannot do this."))
    return None


def _problem(move: Move, ticket: Ticket, user, service: bool = False) -> str | None:
    """What keeps `user` from making `move` on `ticket` now: the role, the claim (a move
    that works the ticket: only its assignee), the table's own guard and, unless the
    step's service asks (it checked it), the step's rule. A service-only move with no
    rule registered is never offered."""
    problem = _role_problem(move, user, service=service)
    if problem is None and move.needs_claim:
        problem = claim_problem(ticket, user)
    if problem is None and move.guard is not None:
        problem = move.guard(ticket)
    if problem or service:
        return problem
    rule = step_rule(move)
    if rule is None:
        return move.refused() if move.service_only else None
    return rule(ticket)


def allowed_moves(ticket: Ticket, user) -> list[Move]:
    """The moves `user` may make on `ticket` now: what its buttons offer (a service-only
    move when its step's rule holds: the button posts to the step's own view). The moves
    that carry the ticket on come first, those that ask a reason (cancel, fraud…) after:
    the first button of the actions is the next step."""
    allowed = [
        move
        for move in MOVES
        if move.source == ticket.state and _problem(move, ticket, user) is None
    ]
    return sorted(allowed, key=lambda move: move.needs_reason)


def transition(*, ticket: Ticket, to: str, by, reason: str = "", service: bool = False) -> Ticket:
    """Move `ticket` to state `to`, or raise TransitionError saying why not.

    `service=True`: the caller is the service that owns the step; it has locked the row
    and checked the step's rule itself (so the registered rule is not asked again). The
    generic move form calls with service=False, which refuses service-only moves."""
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
        if move.service_only and not service:
            raise TransitionError(move.refused())
        reason = redact_card_numbers(reason.strip())
        if move.needs_reason and not reason:
            raise TransitionError(_("Give a reason."))
        problem = _problem(move, locked, by, service)
        if problem:
            raise TransitionError(problem)
        now = timezone.now()
        previous = locked.state
        locked.state = to
        locked.updated_at = now
        locked.version += 1  # the open pages' "has it changed?" (live.py)
        locked._change_reason = f"{previous} → {to}"
        locked.save(update_fields=["state", "updated_at", "version"])
        event = TicketEvent.objects.create(
            ticket=locked,
            at=now,
            actor=by,
            kind=TicketEvent.Kind.TRANSITION,
            from_state=previous,
            to_state=to,
            message=reason,
        )
        # Told to the layers above once it is committed (notifications listen); a
        # listener's error is logged by send_robust and never undoes the move.
        transaction.on_commit(
            partial(
                ticket_moved.send_robust,
                sender=Ticket,
                ticket_id=locked.pk,
                event_id=event.pk,
                source=previous,
                target=to,
                actor_id=getattr(by, "pk", None),
            )
        )
        if to in ENDED_UNAPPLIED:
            _pending_files_discard(locked)
    ticket.state, ticket.updated_at = locked.state, locked.updated_at
    ticket.version = locked.version
    return locked


# States a ticket ends in without its change reaching the profile: nothing it captured is
# kept for it any more (a rejected avatar is not reachable, not even by the approver).
ENDED_UNAPPLIED = frozenset({State.REJECTED, State.CANCELLED})


def _pending_files_discard(ticket: Ticket) -> None:
    """Delete the ticket's pending avatar files once this move commits."""
    names = ChangeItem.objects.filter(
        ticket_id=ticket.pk, section="avatar", field="avatar.image"
    ).values_list("new_value", flat=True)
    avatars_discard(list(names))
