"""Access helpers of approvals: which tickets and customers a view may act on."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from profiledesk.accounts.models import User
from profiledesk.tickets.access import get_ticket_for_staff
from profiledesk.tickets.models import Ticket
from verification.models import DocumentCheck

from .rules import TIER_PERMISSIONS

# Auditors read a ticket's history (audit/views.py); the document is part of it.
AUDIT_PERMISSION = "audit.view_history"
# Security reviews the tickets a critical risk escalates (docs/design.md §1).
SECURITY_PERMISSION = "approvals.freeze_customer"


def is_approver(user: User) -> bool:
    return any(user.has_perm(perm) for perm in TIER_PERMISSIONS.values())


def get_ticket_for_approver(user: User, reference: str) -> Ticket:
    """403 for staff who approve at no tier; 404 outside their clients."""
    if not is_approver(user):
        raise PermissionDenied
    return get_ticket_for_staff(user, reference)


def may_review_documents(user: User) -> bool:
    """Staff who decide approvals, audit tickets or review them for fraud (security, who
    receives the escalated ones) may look at an identity document."""
    return (
        is_approver(user) or user.has_perm(AUDIT_PERMISSION) or user.has_perm(SECURITY_PERMISSION)
    )


def get_document_for_reviewer(user: User, reference: str, document_id: int) -> DocumentCheck:
    """The identity document of a ticket, whatever the ticket's state, for an approver or
    an auditor: 403 for anyone else; 404 outside their clients, for another ticket's
    document, or once the file is past its retention."""
    if not may_review_documents(user):
        raise PermissionDenied
    ticket = get_ticket_for_staff(user, reference)
    check = (
        DocumentCheck.objects.filter(ticket=ticket, pk=document_id).select_related("ticket").first()
    )
    if check is None or not check.file:
        raise Http404("No such document")
    return check
