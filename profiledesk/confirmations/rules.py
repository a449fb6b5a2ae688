"""When a ticket may close (docs/design.md §6): the rule of the service-only move applied ->
closed, which only `services.ticket_close_if_done` makes (checking it under the lock).

Done means every confirmation message of the ticket is sent and every downstream
delivery of the ticket is delivered (acknowledged) — the in-app confirmation, a
`customer.notification` delivery, included: given up, it keeps the ticket open like any
other delivery until a supervisor's retry is acknowledged.
"""

from django.utils.translation import gettext as _

from profiledesk.connectors.models import Delivery
from profiledesk.connectors.models import Status as DeliveryStatus
from profiledesk.messaging.models import Status
from profiledesk.tickets.models import Ticket

from .models import Confirmation, ReportLink


def close_problem(ticket: Ticket) -> str | None:
    """What still keeps `ticket` from closing, or None."""
    unsent = (
        Confirmation.objects.filter(ticket_id=ticket.pk, message__isnull=False)
        .exclude(message__status=Status.SENT)
        .exists()
    )
    if unsent:
        return _("A confirmation to the customer is not sent yet.")
    in_app = (
        Confirmation.objects.filter(ticket_id=ticket.pk, delivery__isnull=False)
        .exclude(delivery__status=DeliveryStatus.DELIVERED)
        .exists()
    )
    if in_app:
        return _("The customer's app has not acknowledged the confirmation yet.")
    pending = Delivery.objects.filter(ticket_id=ticket.pk).exclude(status=DeliveryStatus.DELIVERED)
    if pending.exists():
        return _("A downstream system has not acknowledged the change yet.")
    return None


def is_report_ticket(ticket: Ticket) -> bool:
    """Whether `ticket` was opened by a customer's "this wasn't me" link (report_confirm)."""
    return ReportLink.objects.filter(report_ticket_id=ticket.pk).exists()


def report_close_problem(ticket: Ticket) -> str | None:
    """The rule of "Close report" (escalated or verifying -> closed, security): what keeps
    `ticket` from being closed as a resolved report, or None. Only a report ticket, and
    only while no change is captured on it: once one is, it is a change request that
    follows the flow (or is cancelled)."""
    if not is_report_ticket(ticket):
        return _("Only a customer's “this wasn't me” report is closed this way.")
    if ticket.items.exists():
        return _("A change is captured on this report: it follows the flow or is cancelled.")
    return None
