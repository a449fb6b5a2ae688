"""Who may reveal a customer's masked details (issue 11, docs/design.md §2): "masked until the
caller is verified", for everyone on the floor. The gate of profiledesk.customers.reveal,
registered in VerificationConfig.ready():

- staff who hold an open ticket of the customer (its assignee: a creator taken off the
  ticket by a takeover or a reassignment no longer holds it) whose
  verification is complete and still valid (`status.progress(ticket).complete`), and
  complete without a code to a contact changed within the cooling-off period (whatever
  the category: `status.achieved_level(..., unmasking=True)`), and that is not with
  security (escalated), may reveal; the ticket is recorded as the basis;
- supervisors, compliance and security (`OVERSIGHT_PERMISSIONS`) may reveal without such
  a ticket, with a typed reason that is recorded;
- everyone else is refused, and told why.
"""

from django.utils.translation import gettext as _

from profiledesk.customers.reveal import RevealAccess
from profiledesk.tickets.models import OPEN_STATES, State, Ticket

from .status import achieved_level, progress

# Tier-1 approvers (supervisors), tier-2 approvers (compliance) and security reviewers.
OVERSIGHT_PERMISSIONS = (
    "approvals.approve_tier1",
    "approvals.approve_tier2",
    "approvals.freeze_customer",
)

# An open ticket is a basis for revealing, unless security holds it as a suspected fraud.
BASIS_STATES = [state for state in OPEN_STATES if state != State.ESCALATED]


def verified_ticket_of(*, customer, staff) -> Ticket | None:
    """The staff member's open ticket of this customer whose caller is verified now."""
    # A ticket with security (suspected fraud, a critical score) verifies a suspect.
    held = (
        Ticket.objects.filter(customer=customer, state__in=BASIS_STATES)
        .filter(assignee=staff)
        .select_related("client", "customer")
        .order_by("-id")
    )
    for ticket in held:
        state = progress(ticket)
        # A code to a contact changed within the cooling-off period verifies nobody here,
        # whatever the ticket's category (issue 11: the fraudster's new e-mail).
        if state.complete and achieved_level(ticket, unmasking=True) >= state.required:
            return ticket
    return None


def customer_reveal_access(*, customer, staff) -> RevealAccess:
    ticket = verified_ticket_of(customer=customer, staff=staff)
    if ticket is not None:
        assert ticket.reference is not None  # given when the ticket was created
        return RevealAccess(True, basis=ticket.reference)
    if any(staff.has_perm(permission) for permission in OVERSIGHT_PERMISSIONS):
        return RevealAccess(True, reason_needed=True)
    return RevealAccess(
        False,
        refusal=_(
            "Verify the caller on one of your tickets first: a customer's details stay "
            "masked until the caller is verified."
        ),
    )
