from django.core.exceptions import PermissionDenied
from django.http import Http404

from profiledesk.accounts.models import User

from .models import Delivery


def get_delivery_for_staff(
    user: User, delivery_id: int, *, perm: str = "connectors.retry_delivery"
) -> Delivery:
    """403 without the permission; 404 for a delivery of a client the user does not serve."""
    if not user.has_perm(perm):
        raise PermissionDenied
    delivery = (
        Delivery.objects.for_staff(user)
        .select_related("client", "connector", "ticket")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        raise Http404("No such delivery")
    return delivery
