"""Celery interface of messaging: tasks load by id and call the services.

`send_message` is safe to run twice or be redelivered (acks_late): it claims the row
with a conditional UPDATE (queued -> sending) and does nothing if another run did.
"""

import logging

from celery import shared_task

from . import services
from .email import send_email
from .errors import SendError, TransientSendError
from .models import Channel
from .sms import get_sms_gateway

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="messaging.send_message", max_retries=None, ignore_result=True)
def send_message(self, message_id: int) -> str:
    outgoing = services.message_claim(message_id=message_id)
    if outgoing is None:
        return "skipped"
    try:
        if outgoing.channel == Channel.EMAIL:
            provider_id = send_email(
                to=outgoing.recipient,
                subject=outgoing.subject,
                text=outgoing.text,
                html=outgoing.html,
                reference=outgoing.idempotency_key,
            )
        else:
            provider_id = get_sms_gateway().send(
                to=outgoing.recipient, text=outgoing.text, reference=outgoing.idempotency_key
            )
    except TransientSendError as error:
        if outgoing.attempts >= services.max_attempts():
            services.message_fail(message_id=message_id, error=f"gave up: {error}")
            logger.warning("message %s failed for good: %s", message_id, error)
            return "failed"
        delay = services.retry_delay(outgoing.attempts)
        services.message_defer(message_id=message_id, error=str(error), delay=delay)
        logger.info("message %s not sent (%s); retrying in %ss", message_id, error, delay)
        raise self.retry(countdown=delay) from None
    except SendError as error:
        services.message_fail(message_id=message_id, error=str(error))
        logger.warning("message %s failed: %s", message_id, error)
        return "failed"
    services.message_mark_sent(message_id=message_id, provider_message_id=provider_id)
    _after_sent(message_id)
    return "sent"


def _after_sent(message_id: int) -> None:
    # A confirmation of a ticket was sent: the ticket may now close (DESIGN 6). The
    # message is sent whatever happens here; the next call (a later message, a delivery
    # acknowledged) closes it instead.
    from profiledesk.confirmations.services import ticket_close_after_message

    try:
        ticket_close_after_message(message_id=message_id)
    except Exception:
        logger.exception("closing the ticket of message %s failed", message_id)


@shared_task(name="messaging.sweep", acks_late=False)
def sweep_messages() -> int:
    return services.messages_sweep()
