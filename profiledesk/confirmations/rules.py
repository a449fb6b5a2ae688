"""When a ticket may close (DESIGN 6): the guard of the service-only move applied ->
closed, which only `services.ticket_close_if_done` makes.

Done means every confirmation message of the ticket is sent and every downstream
delivery of the ticket is delivered (acknowledged).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils.translation import gettext as _

from profiledesk.connectors.models import Delivery
from profiledesk.connectors.models import Status as DeliveryStatus
from profiledesk.messaging.models import Status
from profiledesk.tickets.models import Ticket

_closing: ContextVar[bool] = ContextVar("confirmations_closing", default=False)


@contextmanager
def closing() -> Iterator[None]:
    token = _closing.set(True)
    try:
        yield
    finally:
        _closing.reset(token)


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
    pending = Delivery.objects.filter(ticket_id=ticket.pk).exclude(status=DeliveryStatus.DELIVERED)
    if pending.exists():
        return _("A downstream system has not acknowledged the change yet.")
    return None


def close_guard(ticket: Ticket) -> str | None:
    """Guard of applied -> closed: no button offers it; the service makes it when done."""
    if not _closing.get():
        return _(
            "The ticket closes by itself once the customer is told and every system has the change."
        )
    return close_problem(ticket)
