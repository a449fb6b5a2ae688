"""The rollback links of a ticket (the ticket page, the history page's ticket groups).

No query for an ordinary ticket: the link back costs one for a rollback ticket (none
when `rollback_of` is select_related), the list of rollbacks one for a rolled-back
ticket, or for an applied or closed one viewed by someone who may roll it back (none
when `rollbacks` is prefetched, as audit.history does)."""

from collections.abc import Callable

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
    of = None
    if ticket.rollback_of_id:
        if Ticket.rollback_of.is_cached(ticket):
            original = ticket.rollback_of
            assert original is not None  # rollback_of_id is set
            of = original.reference
        else:
            of = (
                Ticket.objects.filter(pk=ticket.rollback_of_id)
                .values_list("reference", flat=True)
                .first()
            )
    return links_for(
        state=ticket.state,
        is_rollback=ticket.is_rollback,
        of=of,
        rollbacks=lambda: [
            (rollback.reference or "", rollback.state)
            for rollback in sorted(_rollbacks(ticket), key=lambda t: t.pk)
        ],
        user=user,
    )


def links_for(
    *,
    state: str,
    is_rollback: bool,
    of: str | None,
    rollbacks: Callable[[], list[tuple[str, str]]],
    user,
) -> dict:
    """The rollback links of a ticket in `state` (the ticket page's tag above, and the
    history page's groups, which read the same facts as values): `rollbacks` gives the
    (reference, state) of the tickets rolling it back, oldest first, read only when shown."""
    may_request = state in ROLLABLE_STATES and user.has_perm(PERMISSION)
    links: dict = {"of": of, "by": [], "is_rollback": is_rollback, "can_request": False}
    if state == State.ROLLED_BACK or may_request:
        links["by"] = [
            {
                "reference": reference,
                "state": rollback_state,
                "open": rollback_state in OPEN_STATES,
                "label": State(rollback_state).label,
            }
            for reference, rollback_state in rollbacks()
        ]
        links["can_request"] = may_request and not any(row["open"] for row in links["by"])
    return links


@register.filter
def restorable(model_key: str) -> bool:
    """Whether "restore these values" can do anything for a version of this model."""
    return model_key in RESTORABLE_KEYS
