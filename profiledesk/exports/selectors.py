"""Reading exports for the list page."""

import datetime as dt

from django.db.models import CharField, Exists, OuterRef
from django.db.models.functions import Cast

from audit.models import AuditEvent
from profiledesk.accounts.models import User

from .models import Export, Status

PAGE_SIZE = 50


def exports_for(*, staff: User, limit: int = PAGE_SIZE) -> list[Export]:
    """The newest exports of the staff member's clients (one query, capped)."""
    return list(
        Export.objects.for_staff(staff)
        .select_related("client", "customer", "requested_by")
        .order_by("-id")[:limit]
    )


def exports_ready_count(*, staff: User, client_ids: list[int], now: dt.datetime, cap: int) -> int:
    """How many of `staff`'s own exports are ready and not downloaded yet (the download is
    audited, `export.downloaded`, by them): built, of a client they still serve, file not
    expired or purged. One query, at most `cap` rows counted."""
    downloaded = AuditEvent.objects.filter(
        action="export.downloaded",
        target_type=Export._meta.label_lower,
        target_id=Cast(OuterRef("pk"), CharField()),
        actor_id=staff.pk,
    )
    ready = (
        Export.objects.filter(
            requested_by_id=staff.pk,
            client_id__in=client_ids,
            status=Status.DONE,
            purged_at__isnull=True,
            expires_at__gt=now,
        )
        .exclude(Exists(downloaded))
        .order_by()
    )
    return ready[:cap].count()
