"""The ticket page's step header reads where the ticket is (tickets.steps)."""

from django import template

from profiledesk.tickets.steps import TicketStep, ticket_step

register = template.Library()


@register.simple_tag
def step_of(ticket, moves, items) -> TicketStep:
    """`{% step_of ticket moves items as step %}`: no query, the page's own moves and items."""
    return ticket_step(ticket=ticket, moves=moves, has_items=bool(items))
