"""The access helper for customers: every view and API fetches a customer through it."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from profiledesk.accounts.models import User

from .models import Customer

PROFILE_RELATED = [
    "client",
    "personal",
    "security",
    "preferences",
    "language_region",
    "organisation",
    "avatar",
]


def get_customer_for_staff(
    user: User, customer_id: int, *, perm: str = "customers.view_customer"
) -> Customer:
    """The customer if `user` may see it: 403 without the permission, 404 outside their
    clients (an outsider learns nothing about whether the customer exists)."""
    if not user.has_perm(perm):
        raise PermissionDenied
    try:
        return Customer.objects.for_staff(user).select_related(*PROFILE_RELATED).get(pk=customer_id)
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise Http404("No such customer") from None
