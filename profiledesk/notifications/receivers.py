"""Receivers of the signals of the layers below (connected in apps.py)."""

from typing import Any

from .services import notification_for_move


def notify_on_move(
    sender: Any,
    *,
    ticket_id: int,
    event_id: int,
    source: str,
    target: str,
    actor_id: int | None,
    **kwargs: Any,
) -> None:
    """tickets.signals.ticket_moved, sent on commit: tell the ticket's owner."""
    notification_for_move(
        ticket_id=ticket_id, event_id=event_id, source=source, target=target, actor_id=actor_id
    )
