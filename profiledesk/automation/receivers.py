"""The single entry of straight-through processing: `verification.signals.evidence_recorded`
(sent on commit by whoever records a pass without an agent — a client app's assertion,
an identity provider's decision, also for a ticket the API has just opened with one)
queues a try with ids only."""

import logging
from typing import Any

from .tasks import straight_through

logger = logging.getLogger(__name__)


def straight_through_on_evidence(
    sender: Any, *, ticket_id: int, attempt_id: int, method: str = "", **kwargs: Any
) -> None:
    try:
        straight_through.apply_async((ticket_id, attempt_id), retry=False)
    except Exception as error:  # kombu / redis errors: the broker is unreachable
        # The ticket waits in the queue for an agent, as it would with automation off.
        logger.warning(
            "straight-through try of ticket %s not queued (%s)", ticket_id, type(error).__name__
        )
