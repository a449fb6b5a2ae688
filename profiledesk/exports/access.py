"""The access helper for exports: every view fetches an export through it."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from profiledesk.accounts.models import User

from .models import Export

PERM = "exports.export_evidence"


def can_export(user: User) -> bool:
    return user.has_perm(PERM)


def get_export_for_staff(user: User, export_id: int) -> Export:
    """The export if `user` may see it: 403 without the permission, 404 outside their
    clients. Any compliance member of the export's client may, not only its requester:
    evidence belongs to the client's compliance team."""
    if not can_export(user):
        raise PermissionDenied
    try:
        return (
            Export.objects.for_staff(user)
            .select_related("client", "customer", "requested_by")
            .get(pk=export_id)
        )
    except (Export.DoesNotExist, ValueError, TypeError):
        raise Http404("No such export") from None
