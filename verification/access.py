"""Access helpers of verification: the identity document the floor's view may serve."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from profiledesk.accounts.models import User
from profiledesk.tickets.access import get_ticket_for_staff

from .models import DocumentCheck
from .reveal import OVERSIGHT_PERMISSIONS


def get_document_for_floor(
    user: User, reference: str, document_id: int, *, perm: str
) -> DocumentCheck:
    """A ticket's identity document — a picture of the customer's name, birth date and ID
    number, unmasked — for the staff working the ticket while it is open (its creator,
    its assignee, the document's checker) and for oversight (approvers, security); 403
    for the rest of the floor (issue 11: masked until verified), 404 outside their
    clients, for another ticket's document or once the file is purged."""
    ticket = get_ticket_for_staff(user, reference, perm=perm)
    check = DocumentCheck.objects.filter(ticket=ticket, pk=document_id).first()
    if check is None or not check.file:
        raise Http404("No such document")
    working = ticket.is_open and user.pk == ticket.assignee_id
    if not (working or any(user.has_perm(name) for name in OVERSIGHT_PERMISSIONS)):
        raise PermissionDenied
    return check
