"""Writing messages: queue one, claim it for sending, record what happened, sweep.

`message_queue` is what the rest of the desk calls. It writes the Message row in the
caller's transaction and queues `send_message(message.pk)` on commit, so a rolled-back
action sends nothing. The task carries only the id: secrets never reach the broker.
"""

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from profiledesk.clients.models import Client

from . import crypto
from .models import Channel, Message, Status
from .rendering import Rendered, message_render, redacted_context

if TYPE_CHECKING:  # types only: transports sit below customers and tickets
    from profiledesk.customers.models import Customer
    from profiledesk.tickets.models import Ticket

logger = logging.getLogger(__name__)

CHANNELS = {Channel.EMAIL.value, Channel.SMS.value}


def _setting(name: str, default: int) -> Any:  # a setting may be a str from the env
    return getattr(settings, name, default)


def max_attempts() -> int:
    return int(_setting("MESSAGING_MAX_ATTEMPTS", 5))


def retry_delay(attempts: int) -> int:
    """Seconds before attempt `attempts + 1`: 30 s, 60 s, 2 min, 4 min … at most 30 min."""
    base = int(_setting("MESSAGING_RETRY_BASE_SECONDS", 30))
    delay: int = min(base * 2 ** max(attempts - 1, 0), 30 * 60)
    return delay


def message_queue(
    *,
    client: Client,
    channel: str,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str = "en",
    idempotency_key: str,
    ticket: "Ticket | None" = None,
    customer: "Customer | None" = None,
    secret_keys: tuple[str, ...] = (),
) -> Message:
    """Render `template` for `client` in `language` and queue it to `to` over `channel`.

    The same `idempotency_key` again returns the first Message and queues nothing. Values
    of `context` named in `secret_keys` are never stored in clear: the rendered message is
    kept encrypted until it is sent, and staff see "••••••" in their place.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}: use one of {sorted(CHANNELS)}")
    if not idempotency_key:
        raise ValueError("an idempotency key is required")
    missing = [key for key in secret_keys if key not in context]
    if missing:
        raise ValueError(f"secret keys not in the context: {missing}")

    existing = Message.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing

    rendered = message_render(
        client_slug=client.slug, template=template, language=language, context=context
    )
    if secret_keys:
        shown = message_render(
            client_slug=client.slug,
            template=template,
            language=language,
            context=redacted_context(context, secret_keys),
        )
        _check_redaction(shown, [str(context[key]) for key in secret_keys], template)
        content = {
            "body_encrypted": crypto.seal(rendered.as_dict()),
            "body_text": "",
            "body_html": "",
        }
    else:
        shown = rendered
        content = {"body_encrypted": "", "body_text": rendered.text, "body_html": rendered.html}

    now = timezone.now()
    with transaction.atomic():  # a savepoint: a lost race must not break the caller's
        message, created = Message.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={
                "client": client,
                "ticket": ticket,
                "customer": customer,
                "channel": channel,
                "recipient": to,
                "template": template,
                "language": language,
                "subject": shown.subject if channel == Channel.EMAIL else "",
                "text_redacted": shown.text,
                "has_secret": bool(secret_keys),
                "status": Status.QUEUED,
                "due_at": now,
                "created_at": now,
                **content,
            },
        )
    if created:
        _enqueue(message.pk)
    return message


def _check_redaction(shown: Rendered, secrets: list[str], template: str) -> None:
    for secret in secrets:
        if secret and any(secret in part for part in shown.as_dict().values()):
            # The template shows the secret through something other than its variable.
            raise ValueError(f"template {template!r} shows a secret outside its variable")


def _enqueue(message_id: int) -> None:
    # Like `send_message.delay_on_commit`, but a broker outage (Redis down) must not fail
    # the action whose transaction has already committed: the row is there, and the
    # sweep queues it once the broker is back.
    transaction.on_commit(lambda: _publish(message_id))


def _publish(message_id: int) -> None:
    # Imported here: tasks.py imports this module (Celery's services <-> tasks cycle).
    from .tasks import send_message

    try:
        send_message.delay(message_id)
    except Exception as error:  # kombu / redis errors: the broker is unreachable
        logger.warning(
            "message %s not queued (%s); the sweep will queue it",
            message_id,
            type(error).__name__,
        )


# --- Used by the send task -----------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """A claimed message, with its content in clear (in memory only)."""

    id: int
    channel: str
    recipient: str
    idempotency_key: str
    subject: str
    text: str
    html: str
    attempts: int


def message_claim(*, message_id: int) -> Outgoing | None:
    """Move the message from queued to sending and return it; None if it is not queued
    (sent, failed, or claimed by another worker): the caller then does nothing."""
    now = timezone.now()
    claimed = Message.objects.filter(pk=message_id, status=Status.QUEUED).update(
        status=Status.SENDING, attempts=F("attempts") + 1, due_at=now
    )
    if claimed != 1:
        return None
    message = Message.objects.get(pk=message_id)
    if message.has_secret:
        if not message.body_encrypted:
            message_fail(message_id=message_id, error="the encrypted body is gone")
            return None
        try:
            content = crypto.unseal(message.body_encrypted)
        except ValueError:  # sealed with a key the desk no longer has
            message_fail(message_id=message_id, error="the encrypted body cannot be decrypted")
            return None
    else:
        content = {"subject": message.subject, "text": message.body_text, "html": message.body_html}
    return Outgoing(
        id=message.pk,
        channel=message.channel,
        recipient=message.recipient,
        idempotency_key=message.idempotency_key,
        subject=content["subject"],
        text=content["text"],
        html=content["html"],
        attempts=message.attempts,
    )


def message_mark_sent(*, message_id: int, provider_message_id: str) -> None:
    Message.objects.filter(pk=message_id, status=Status.SENDING).update(
        status=Status.SENT,
        provider_message_id=provider_message_id[:255],
        sent_at=timezone.now(),
        body_encrypted="",
        last_error="",
    )


def message_defer(*, message_id: int, error: str, delay: int) -> None:
    """Back to queued after a transient error; the retry (or the sweep) sends it later."""
    Message.objects.filter(pk=message_id, status=Status.SENDING).update(
        status=Status.QUEUED,
        last_error=error[:255],
        due_at=timezone.now() + dt.timedelta(seconds=delay),
    )


def message_fail(*, message_id: int, error: str) -> None:
    """Give up: the error is recorded and any secret content is wiped."""
    Message.objects.filter(pk=message_id, status__in=[Status.QUEUED, Status.SENDING]).update(
        status=Status.FAILED, last_error=error[:255], body_encrypted=""
    )


def messages_sweep() -> int:
    """Re-queue messages no worker has taken (queued well past their due time) or whose
    worker died while sending; give up on those that used every attempt. Returns how many
    were queued again."""
    now = timezone.now()
    queued_after = dt.timedelta(seconds=int(_setting("MESSAGING_SWEEP_QUEUED_AFTER", 120)))
    sending_after = dt.timedelta(seconds=int(_setting("MESSAGING_SWEEP_SENDING_AFTER", 600)))

    batch = int(_setting("MESSAGING_SWEEP_BATCH", 500))
    stale = []
    stale_sending = Message.objects.filter(status=Status.SENDING, due_at__lt=now - sending_after)
    for message_id, attempts in stale_sending.values_list("pk", "attempts")[:batch]:
        if attempts >= max_attempts():
            message_fail(message_id=message_id, error="gave up: the worker stopped while sending")
            continue
        # Conditional: a worker that finishes meanwhile keeps its "sent".
        if Message.objects.filter(pk=message_id, status=Status.SENDING).update(
            status=Status.QUEUED, due_at=now, last_error="the worker stopped while sending"
        ):
            stale.append(message_id)

    stale += list(
        Message.objects.filter(status=Status.QUEUED, due_at__lt=now - queued_after)
        .order_by("due_at")
        .values_list("pk", flat=True)[:batch]
    )
    # Imported here: tasks.py imports this module (Celery's services <-> tasks cycle).
    from .tasks import send_message

    for message_id in stale:
        # Due again from now: the next sweep leaves it alone unless it is stuck again.
        Message.objects.filter(pk=message_id, status=Status.QUEUED).update(due_at=now)
        send_message.delay(message_id)
    if stale:
        logger.info("messaging sweep queued %d message(s) again", len(stale))
    return len(stale)
