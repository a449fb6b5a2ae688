"""Who may use security's queue: the security role (docs/design.md §1), for the tickets of
the clients they serve (tickets.access.get_ticket_for_staff does the scoping)."""

from django.core.exceptions import PermissionDenied

from profiledesk.accounts.models import User
from profiledesk.accounts.roles import Role, roles_of
from profiledesk.tickets.access import get_ticket_for_staff
from profiledesk.tickets.models import Ticket


def require_security(user: User) -> None:
    """403 for anyone but the security team (and without the ticket permission)."""
    if Role.SECURITY not in roles_of(user) or not user.has_perm("tickets.view_ticket"):
        raise PermissionDenied


def get_ticket_for_security(user: User, reference: str) -> Ticket:
    """The ticket if `user` is security and serves its client: 403 / 404 otherwise."""
    require_security(user)
    return get_ticket_for_staff(user, reference)
