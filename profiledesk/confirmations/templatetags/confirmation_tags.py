from django import template

from profiledesk.confirmations.selectors import ticket_confirmations

register = template.Library()


@register.simple_tag
def confirmations_of(ticket):
    """`{% confirmations_of ticket as confirmations %}`: no query unless applied."""
    return ticket_confirmations(ticket)
