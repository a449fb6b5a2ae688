"""Reading exports for the list page."""

from profiledesk.accounts.models import User

from .models import Export

PAGE_SIZE = 50


def exports_for(*, staff: User, limit: int = PAGE_SIZE) -> list[Export]:
    """The newest exports of the staff member's clients (one query, capped)."""
    return list(
        Export.objects.for_staff(staff)
        .select_related("client", "customer", "requested_by")
        .order_by("-id")[:limit]
    )
