"""Access helpers of approvals: which tickets and customers a view may act on."""

from django.core.exceptions import PermissionDenied

from profiledesk.tickets.access import get_ticket_for_staff
from profiledesk.tickets.models import Ticket

from .rules import TIER_PERMISSIONS


def is_approver(user) -> bool:
    return any(user.has_perm(perm) for perm in TIER_PERMISSIONS.values())


def get_ticket_for_approver(user, reference: str) -> Ticket:
    """403 for staff who approve at no tier; 404 outside their clients."""
    if not is_approver(user):
        raise PermissionDenied
    return get_ticket_for_staff(user, reference)
