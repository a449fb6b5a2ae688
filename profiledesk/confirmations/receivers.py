"""Closing a ticket listens to the transports (docs/design.md §6): a confirmation sent or a
downstream delivery acknowledged may be the last thing an applied ticket waits for.

Connected in `apps.ConfirmationsConfig.ready`. The transports announce after their row
is committed and may announce twice (a redelivered task); `ticket_close_if_done` locks
the ticket and closes it once. A failure here is logged and leaves the message sent or
the delivery delivered; the next announcement of the ticket closes it instead.
"""

import logging

from django.dispatch import receiver

from profiledesk.connectors.signals import delivery_acknowledged
from profiledesk.messaging.signals import message_sent

from .services import ticket_close_after_delivery, ticket_close_after_message

logger = logging.getLogger(__name__)


@receiver(message_sent, dispatch_uid="confirmations.close_after_message")
def close_after_message(sender, *, message_id: int, **kwargs) -> None:
    try:
        ticket_close_after_message(message_id=message_id)
    except Exception:
        logger.exception("closing the ticket of message %s failed", message_id)


@receiver(delivery_acknowledged, dispatch_uid="confirmations.close_after_delivery")
def close_after_delivery(sender, *, delivery_id: int, **kwargs) -> None:
    try:
        ticket_close_after_delivery(delivery_id=delivery_id)
    except Exception:
        logger.exception("closing the ticket of delivery %s failed", delivery_id)
