"""Celery interface of messaging: tasks load by id and call the services.

`send_message` is safe to run twice or be redelivered (acks_late): it claims the row
with a conditional UPDATE (queued -> sending) and does nothing if another run did.
"""

import logging

from celery import shared_task

from . import services, signals
from .email import send_email
from .errors import SendError, TransientSendError
from .models import Channel, Message
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
    # Whoever listens (closing the ticket) hears it; a listener that fails is logged by
    # send_robust, and the message stays sent.
    signals.message_sent.send_robust(sender=Message, message_id=message_id)
    return "sent"


@shared_task(name="messaging.sweep", acks_late=False)
def sweep_messages() -> int:
    return services.messages_sweep()
