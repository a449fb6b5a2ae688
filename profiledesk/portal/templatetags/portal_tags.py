from django import template

from profiledesk.portal.selectors import customer_status as _customer_status
from profiledesk.tickets.models import Ticket

register = template.Library()


@register.filter
def customer_status(ticket: Ticket) -> str:
    """A request's status in the customer's words ("Being checked", "Done")."""
    return _customer_status(ticket)
