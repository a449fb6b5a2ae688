"""Who may edit a ticket's captured change, and when (issue 14).

Only the ticket's assignee (claimed: the one person working it) with the right to work
tickets, until it is applied: a ticket that is applied, closed, rolled back, cancelled or
rejected is history (a correction is a new request or a rollback), an escalated one is
security's, and a rollback restores values read from history, which nobody retypes.
"""

from typing import Any

from django.utils.translation import gettext as _

from profiledesk.accounts.models import User
from profiledesk.tickets.models import State, Ticket

EDITABLE_STATES = frozenset(
    {
        State.NEW,
        State.VERIFYING,
        State.VERIFICATION_FAILED,
        State.READY,
        State.PENDING_APPROVAL,
        State.APPROVED,
    }
)
_DONE = frozenset({State.APPLIED, State.CLOSED, State.ROLLED_BACK})


def edit_problem(ticket: Ticket, user: User) -> str | None:
    """Why `user` may not edit `ticket`'s change now, or None. No query once the user's
    permissions are cached (the ticket page asks it)."""
    if not user.has_perm("tickets.work_ticket"):
        return _("Your role cannot edit a change.")
    if ticket.state in _DONE:
        return _(
            "This change has been applied: it cannot be edited. A correction is a new "
            "request (or a rollback)."
        )
    if ticket.state == State.ESCALATED:
        return _("This ticket is with the security team: its change cannot be edited.")
    if ticket.state not in EDITABLE_STATES:
        return _("A ticket that is “%(state)s” cannot be edited.") % {
            "state": ticket.get_state_display()
        }
    if ticket.is_rollback:
        return _("A rollback restores earlier values: it is not edited.")
    if ticket.assignee_id != user.pk:
        if ticket.assignee_id is None:
            return _("Claim the ticket first: only the person working it edits its change.")
        return _("%(name)s is working this ticket: only they edit its change.") % {
            "name": ticket.assignee
        }
    return None


def edit_offer(ticket: Ticket, user: Any) -> dict[str, Any]:
    """The ticket page's panel context: whether its items card offers "Edit"."""
    return {
        "edit_offer": getattr(user, "is_authenticated", False) and not edit_problem(ticket, user)
    }
