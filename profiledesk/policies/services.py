"""Writes of the policies capability on tickets: re-assessing risk."""

from django.db import transaction
from django.utils import timezone

from profiledesk.tickets.models import Ticket

from .risk import Assessment, risk_assess


@transaction.atomic
def risk_refresh(*, ticket: Ticket) -> Assessment:
    """Re-run the risk rules on a ticket and store the result if it changed.

    For whatever changes the picture after intake: a failed verification, an edited
    change item, a customer flagged or frozen meanwhile.
    """
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    assessment = risk_assess(locked)
    values = {
        "risk_score": assessment.score,
        "risk_level": assessment.level,
        "risk_reasons": assessment.as_json(),
    }
    if any(getattr(locked, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(locked, name, value)
        locked.updated_at = timezone.now()
        locked._change_reason = "risk re-assessed"
        locked.save(update_fields=[*values, "updated_at"])
    for name in [*values, "updated_at"]:
        setattr(ticket, name, getattr(locked, name))
    return assessment
