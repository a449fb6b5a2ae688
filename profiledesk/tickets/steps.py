"""Where a ticket is on its way, for the ticket page's step header (issue 14, "one
ticket, one screen"): the path's steps with the current one marked, one sentence saying
what happens now, and the label of the move that takes it on. Read only, no query: it
reads the ticket's state, customer id, and the moves and items the page already has."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import State, Ticket
from .states import Move

StrOrPromise = str | Promise

# The happy path as the floor speaks of it; each state sits at one of these steps.
PATH = [
    ("intake", _("Request")),
    ("verify", _("Verify the caller")),
    ("approve", _("Approval")),
    ("apply", _("Apply")),
    ("confirm", _("Confirm")),
]
_STEP_OF: dict[str, str] = {
    State.NEW: "intake",
    State.VERIFYING: "verify",
    State.VERIFICATION_FAILED: "verify",
    State.READY: "approve",
    State.PENDING_APPROVAL: "approve",
    State.APPROVED: "apply",
    State.APPLIED: "confirm",
    State.CLOSED: "confirm",
}
# What happens now, per state (the header names the button that takes it on beside it).
_NOW: dict[str, StrOrPromise] = {
    State.NEW: _("Check the request with the caller, then start verification."),
    State.VERIFYING: _(
        "Verify the caller in the wizard: a code to a contact on file, the security "
        "questions, a document if asked; then mark verified."
    ),
    State.VERIFICATION_FAILED: _(
        "Verification failed. Retry once the lock-out ends, or cancel the request."
    ),
    State.READY: _(
        "Verified and valid: submit it for approval, or apply it if its policy needs none."
    ),
    State.PENDING_APPROVAL: _("Waiting for an approver: see the approval panel."),
    State.APPROVED: _("Approved: apply it to write the change to the profile."),
    State.APPLIED: _("Applied: the customer and the client's systems are being told."),
    State.CLOSED: _("Done: the customer was told and every system has the change."),
    State.REJECTED: _("Rejected: nothing was changed."),
    State.CANCELLED: _("Cancelled: nothing was changed."),
    State.ESCALATED: _("With security for review: nothing is changed until they decide."),
    State.ROLLED_BACK: _("Rolled back: the profile was restored by a later ticket."),
}


@dataclass(frozen=True)
class PathStep:
    key: str
    label: str
    status: str  # "done" | "current" | "stopped" | "todo"


@dataclass(frozen=True)
class TicketStep:
    steps: list[PathStep]
    current_label: str
    now: str
    # The label of the move the step header points at ("Start verification", "Apply"…),
    # "" when the next thing is not a button of the ticket's own (the wizard, an approver).
    action: str
    finished: bool  # closed, or off the path for good (rejected, cancelled, rolled back)


def _primary(moves: Sequence[Move]) -> Move | None:
    """The move that carries the ticket forward: a plain primary button, no reason asked."""
    return next((m for m in moves if m.style == "primary" and not m.needs_reason), None)


def ticket_step(*, ticket: Ticket, moves: Sequence[Move], has_items: bool = True) -> TicketStep:
    state = ticket.state
    primary = _primary(moves)
    key = _STEP_OF.get(state)
    if state == State.READY and primary is not None and primary.target == State.APPLIED:
        key = "apply"  # its policy needs no approval: the next step is applying it
    finished = state in (State.CLOSED, State.REJECTED, State.CANCELLED, State.ROLLED_BACK)
    keys = [k for k, _label in PATH]
    stopped = state == State.REJECTED  # an approver said no: the path ends at approval
    where = "approve" if stopped else key
    at = keys.index(where) if where else -1
    steps = []
    for index, (k, label) in enumerate(PATH):
        if state == State.CLOSED or index < at:
            status = "done"
        elif index == at:
            status = "stopped" if stopped else "current"
        else:
            status = "todo"
        steps.append(PathStep(key=k, label=str(label), status=status))
    if at < 0 and state != State.CLOSED:
        steps = []  # cancelled, escalated, rolled back: off the path, the sentence says where
    action = str(primary.label) if primary else ""
    now = str(_NOW.get(state, ""))
    if state == State.READY and key == "apply":
        now = str(_("Verified and valid, and its policy needs no approval: apply it."))
    elif state == State.READY and primary is not None and primary.target == State.PENDING_APPROVAL:
        now = str(_("Verified and valid: submit it for approval."))
    elif state == State.NEW and ticket.customer_id is None:
        now = str(_("Match the request to a customer, then capture the change it asks for."))
    elif state == State.NEW and not has_items:
        now = str(_("Capture the change the customer asks for, then start verification."))
    current = State(state).label if finished or not key else dict(PATH)[key]
    return TicketStep(
        steps=steps,
        current_label=str(current),
        now=now,
        action=action,
        finished=finished,
    )
