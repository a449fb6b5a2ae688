"""What policies does when a lower layer announces a change (connected in apps.py)."""

from profiledesk.tickets.models import Ticket

from .services import risk_refresh


def risk_refresh_after_freeze(sender, *, customer, **kwargs) -> None:
    """A freeze is a risk reason of every open ticket of the customer (or no longer is)."""
    for open_ticket in Ticket.objects.filter(customer_id=customer.pk).open():
        risk_refresh(ticket=open_ticket)
