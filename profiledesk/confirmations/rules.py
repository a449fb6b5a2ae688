"""When a ticket may close (DESIGN 6): the rule of the service-only move applied ->
closed, which only `services.ticket_close_if_done` makes (checking it under the lock).

Done means every confirmation message of the ticket is sent and, when the connectors
app is installed, every downstream delivery of the ticket is delivered (acknowledged).
"""

from django.apps import apps
from django.utils.translation import gettext as _

from profiledesk.messaging.models import Status
from profiledesk.tickets.models import Ticket

DELIVERED = "delivered"


def _delivery_model():
    # The connectors app (downstream deliveries) may not be installed: then only the
    # messages count.
    try:
        return apps.get_model("connectors", "Delivery")
    except LookupError:
        return None


def close_problem(ticket: Ticket) -> str | None:
    """What still keeps `ticket` from closing, or None."""
    from .models import Confirmation

    unsent = (
        Confirmation.objects.filter(ticket_id=ticket.pk)
        .exclude(message__status=Status.SENT)
        .exists()
    )
    if unsent:
        return _("A confirmation to the customer is not sent yet.")
    delivery = _delivery_model()
    if delivery is not None:
        pending = delivery.objects.filter(ticket_id=ticket.pk).exclude(status=DELIVERED)
        if pending.exists():
            return _("A downstream system has not acknowledged the change yet.")
    return None
