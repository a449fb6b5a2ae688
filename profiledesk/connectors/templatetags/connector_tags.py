from django import template

from profiledesk.connectors.selectors import ticket_deliveries

register = template.Library()


@register.simple_tag
def deliveries_of(ticket):
    """`{% deliveries_of ticket as deliveries %}`: no query unless the ticket is applied."""
    return ticket_deliveries(ticket)
