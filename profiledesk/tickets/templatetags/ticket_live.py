"""`{% ticket_live ticket request.user as live %}`: the ticket page's claim bar and
presence strip (templates/tickets/_live.html). Opening the page says "I am here"."""

from django import template

from profiledesk.tickets.live import live_context
from profiledesk.tickets.presence import presence_beat

register = template.Library()


@register.simple_tag(takes_context=True)
def ticket_live(context, ticket, user) -> dict:
    seen = presence_beat(ticket_id=ticket.pk, user_id=user.pk)
    # The page's own timeline (already read) names the latest change: no query more.
    timeline = context.get("timeline")
    live = live_context(ticket, user, seen=seen, timeline=timeline)["live"]
    working = ticket.is_open and user.has_perm("tickets.work_ticket")
    mine = ticket.assignee_id == user.pk
    live["can_claim"] = working and ticket.assignee_id is None
    live["can_take_over"] = (
        working
        and not mine
        and ticket.assignee_id is not None
        and user.has_perm("tickets.reassign_ticket")
    )
    live["mine"] = mine
    return live
