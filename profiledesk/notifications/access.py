"""The access helper of notifications: a staff member reaches only their own."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from profiledesk.accounts.models import User

from .models import Notification

PERM = "tickets.view_ticket"


def require_notifications(user: User) -> None:
    """403 for staff who work no tickets (desk admins)."""
    if not user.has_perm(PERM):
        raise PermissionDenied


def get_notification_for_staff(user: User, notification_id: int) -> Notification:
    """The notification if it is `user`'s; 404 for anyone else's (never saying whose)."""
    require_notifications(user)
    found = Notification.objects.filter(pk=notification_id, recipient_id=user.pk).first()
    if found is None:
        raise Http404("No such notification")
    return found
