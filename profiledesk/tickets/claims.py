"""One person at a time (docs/design.md §3): who may work a ticket now.

Working a ticket — starting or failing verification, sending and checking codes, checking
answers and documents, capturing, submitting, applying, cancelling — is for the staff
member it is claimed by (`ticket.assignee`). A supervisor who must act on a ticket claimed
by someone else takes it over first (`services.ticket_take_over`: recorded on the timeline
and audited), which makes them the assignee; the rule itself has no exception.

`claim_problem` is the one place the rule lives. `states.transition` asks it, under the row
lock, for every move the table marks `needs_claim`; the step services that write without
moving the ticket (the verification wizard's steps) ask it under their own lock. Deciding
is another role: approving, rejecting and security's review need no claim (and the
approver may not be the assignee: approvals.rules.checker_problem).
"""

from django.utils.translation import gettext as _

from profiledesk.accounts.models import User
from profiledesk.accounts.naming import staff_name

from .models import Ticket


def claim_problem(ticket: Ticket, user: User | None) -> str | None:
    """Why `user` may not work `ticket` now, or None. `user` None is the desk itself (a
    straight-through apply, a customer's report): no claim. Call it on the locked row."""
    if user is None or ticket.assignee_id == user.pk:
        return None
    if ticket.assignee_id is None:
        return _("Claim this ticket first — nobody is working it yet.")
    return _("Claim this ticket first — it is assigned to %(name)s.") % {
        "name": staff_name(ticket.assignee)
    }
