from django import template

from profiledesk.connectors.selectors import receiving_connectors, ticket_deliveries

register = template.Library()


@register.simple_tag
def deliveries_of(ticket):
    """`{% deliveries_of ticket as deliveries %}`: no query unless the ticket is applied."""
    return ticket_deliveries(ticket)


@register.simple_tag
def receivers_of(ticket):
    """`{% receivers_of ticket as receivers %}`: the names of the systems that receive the
    ticket's category (one query; used only where the page says none will)."""
    return receiving_connectors(ticket)
