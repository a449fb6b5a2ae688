"""Access helpers of approvals: which tickets and customers a view may act on."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from profiledesk.accounts.models import User
from profiledesk.intake.avatars import avatar_file_of
from profiledesk.tickets.access import get_ticket_for_staff
from profiledesk.tickets.models import ChangeItem, State, Ticket
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


# A ticket in these states keeps no captured file: its avatar is not served, whatever is
# still on disk (the on-commit delete may have failed).
AVATAR_GONE_STATES = {State.REJECTED, State.CANCELLED}


def get_avatar_for_reviewer(user: User, reference: str, item_id: int) -> tuple[ChangeItem, str]:
    """The avatar a ticket's change item asks for, as (item, storage name), for whoever
    may review the ticket's evidence (approvers — the moderators —, auditors, security):
    403 for anyone else; 404 outside their clients, for another ticket's item or an item
    that is not an avatar, once the ticket is rejected or cancelled, or when the stored
    name is not one the desk writes (path traversal) or its file is not kept."""
    if not may_review_documents(user):
        raise PermissionDenied
    ticket = get_ticket_for_staff(user, reference)
    if ticket.state in AVATAR_GONE_STATES:
        raise Http404("No such image")
    item = ChangeItem.objects.filter(
        ticket=ticket, pk=item_id, section="avatar", field="avatar.image"
    ).first()
    name = avatar_file_of(item.new_value) if item is not None else None
    if item is None or name is None:
        raise Http404("No such image")
    item.ticket = ticket  # the audit event names it: no second query
    return item, name
