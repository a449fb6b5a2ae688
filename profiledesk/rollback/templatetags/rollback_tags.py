"""The rollback links of a ticket (the ticket page, the history page's ticket groups).

No query for an ordinary ticket: the link back costs one for a rollback ticket (none
when `rollback_of` is select_related), the list of rollbacks one for a rolled-back
ticket, or for an applied or closed one viewed by someone who may roll it back (none
when `rollbacks` is prefetched, as audit.history does)."""

from django import template

from profiledesk.rollback.rules import PERMISSION, RESTORABLE_KEYS, ROLLABLE_STATES
from profiledesk.tickets.models import OPEN_STATES, State, Ticket

register = template.Library()


def _rollbacks(ticket: Ticket) -> list[Ticket]:
    if "rollbacks" in getattr(ticket, "_prefetched_objects_cache", {}):
        return list(ticket.rollbacks.all())
    return list(Ticket.objects.filter(rollback_of_id=ticket.pk).only("reference", "state"))


@register.simple_tag
def rollback_links(ticket: Ticket, user) -> dict:
    """What templates/rollback/_restore_ticket.html shows: the ticket this one rolls back,
    the rollback tickets of this one, and whether `user` may roll it back now."""
    may_request = ticket.state in ROLLABLE_STATES and user.has_perm(PERMISSION)
    links: dict = {
        "of": None,
        "by": [],
        "is_rollback": ticket.is_rollback,
        "can_request": False,
    }
    if ticket.rollback_of_id:
        if Ticket.rollback_of.is_cached(ticket):
            original = ticket.rollback_of
            assert original is not None  # rollback_of_id is set
            links["of"] = original.reference
        else:
            links["of"] = (
                Ticket.objects.filter(pk=ticket.rollback_of_id)
                .values_list("reference", flat=True)
                .first()
            )
    if ticket.state == State.ROLLED_BACK or may_request:
        links["by"] = [
            {
                "reference": rollback.reference,
                "state": rollback.state,
                "open": rollback.state in OPEN_STATES,
                "label": State(rollback.state).label,
            }
            for rollback in sorted(_rollbacks(ticket), key=lambda t: t.pk)
        ]
        links["can_request"] = may_request and not any(row["open"] for row in links["by"])
    return links


@register.filter
def restorable(model_key: str) -> bool:
    """Whether "restore these values" can do anything for a version of this model."""
    return model_key in RESTORABLE_KEYS
