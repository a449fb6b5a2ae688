"""The panels a step adds to the ticket page (verification's wizard, approvals' panel).

tickets sits below the steps and imports none of them: each step registers the selector
that builds its panel's context from its AppConfig.ready(), and the ticket page merges
what every registered selector returns (each keeps its context under keys of its own).
"""

from collections.abc import Callable
from typing import Any

from .models import Ticket

PanelContext = Callable[[Ticket, Any], dict]

_PANELS: list[PanelContext] = []


def ticket_panel_register(panel: PanelContext) -> None:
    if panel not in _PANELS:
        _PANELS.append(panel)


def ticket_panels(ticket: Ticket, user) -> dict:
    """The context of every registered panel of `ticket`, as `user` sees it."""
    context: dict = {}
    for panel in _PANELS:
        context.update(panel(ticket, user))
    return context
