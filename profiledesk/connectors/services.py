"""Writing deliveries: create them with the apply transaction, claim one for sending,
record what happened, retry by hand, sweep.

`deliveries_create` is what the apply engine calls. It writes one Delivery a connector
that receives the ticket's category, in the caller's transaction, and queues
`deliver(delivery.pk)` on commit: a rolled-back apply sends nothing, and the task
carries only the id (the secret never reaches the broker).
"""

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Least
from django.http import HttpRequest
from django.utils import timezone

from audit.services import audit_record
from profiledesk.accounts.models import User
from profiledesk.messaging import crypto
from profiledesk.tickets.models import TicketEvent
from profiledesk.vault.cards import redact_card_numbers

from .models import (
    NOTIFICATION_TYPE,
    OPEN_STATUSES,
    Connector,
    Delivery,
    EventSequence,
    Kind,
    Status,
)
from .modes import bodies_for
from .scopes import scopable_keys
from .signing import event_body

if TYPE_CHECKING:  # a type only: transports sit below tickets
    from profiledesk.tickets.models import Ticket

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A delivery cannot be retried (it is delivered, or already on its way)."""


def _setting(name: str, default: int) -> Any:  # a setting may be a str from the env
    return getattr(settings, name, default)


def max_attempts() -> int:
    return int(_setting("CONNECTOR_MAX_ATTEMPTS", 8))


def retry_delay(attempts: int) -> int:
    """Seconds before attempt `attempts + 1`: 30 s, 60 s, 2 min, 4 min … at most 1 h."""
    base = int(_setting("CONNECTOR_RETRY_BASE_SECONDS", 30))
    cap = int(_setting("CONNECTOR_RETRY_MAX_SECONDS", 3600))
    delay: int = min(base * 2 ** max(attempts - 1, 0), cap)
    return delay


def timeout() -> float:
    return float(_setting("CONNECTOR_TIMEOUT", 10))


def _lease() -> dt.timedelta:
    # Long enough for one POST with its timeout; a dead worker's hold expires after it.
    return dt.timedelta(seconds=timeout() + int(_setting("CONNECTOR_LEASE_MARGIN", 50)))


# Fields of the envelope; the rest of an event goes under "data".
_ENVELOPE = ("id", "type", "created_at", "client", "ticket", "category")


def deliveries_create(*, ticket: "Ticket", event: dict[str, Any]) -> list[Delivery]:
    """One Delivery for every active connector of the ticket's client that receives the
    ticket's category, each queued on commit. The same event id again returns the rows
    already written and queues nothing.

    `event` is what downstream systems may learn, values in clear; each connector gets
    under "data" of the envelope (docs/webhooks.md) only the changes of its scope
    (`scoped`), and no delivery at all when none is left. Its "id" (a new UUID if
    absent) and "type" (default "profile.changed") become the envelope's; the
    envelope's other fields (client, ticket, category) come from the ticket.
    """
    # Only what the event says is checked: a random UUID id can look like a card number.
    said = event_body({k: v for k, v in event.items() if k not in _ENVELOPE}).decode()
    if redact_card_numbers(said) != said:
        raise ValueError("an event must not carry a card number: send the vault token")
    event_id = str(event.get("id") or uuid.uuid4())
    now = timezone.now()
    data = {k: v for k, v in event.items() if k not in _ENVELOPE}
    sequence = _next_sequence(customer_id=ticket.customer_id)
    connectors = [
        c
        for c in Connector.objects.filter(client_id=ticket.client_id, is_active=True).order_by("pk")
        if c.receives(ticket.category)
    ]
    deliveries = []
    for connector in connectors:
        in_scope = scoped(data, scope=connector.scope)
        if in_scope is None:
            continue
        envelope = {
            "id": event_id,
            "type": str(event.get("type") or "profile.changed"),
            "created_at": now.isoformat(),
            "client": ticket.client.slug,
            "ticket": ticket.reference,
            "category": ticket.category,
            # The customer's event number, and that of the event this system got before
            # it (null: the first): a receiver drops an event older than what it holds.
            "sequence": sequence,
            "replaces": _previous_sequence(connector=connector, customer_id=ticket.customer_id),
        }
        # "data", "data_jwe" or a thin event, by the connector's mode: made once, here.
        bodies = bodies_for(connector=connector, envelope=envelope, data=in_scope, now=now)
        key = f"{event_id}:{connector.pk}"
        with transaction.atomic():  # a savepoint: a lost race must not break the caller's
            delivery, created = Delivery.objects.get_or_create(
                idempotency_key=key,
                defaults={
                    "client_id": ticket.client_id,
                    "ticket": ticket,
                    "connector": connector,
                    "event": bodies.event,
                    "fetch_payload": bodies.fetch_payload,
                    "fetch_id": bodies.fetch_id,
                    "fetch_expires_at": bodies.fetch_expires_at,
                    "event_id": event_id,
                    "customer_id": ticket.customer_id,
                    "sequence": sequence,
                    "status": Status.PENDING,
                    "next_attempt_at": now,
                    "created_at": now,
                },
            )
        if created and bodies.error:
            delivery_give_up(delivery_id=delivery.pk, error=bodies.error)
            delivery.refresh_from_db()
        elif created:
            _enqueue(delivery.pk)
        deliveries.append(delivery)
    return deliveries


# Where a notification's secrets (the "this wasn't me" link) wait, sealed with Fernet
# (messaging.crypto), until the delivery is acknowledged; never sent under this name.
SEALED = "_sealed"
SEALED_MASK = "••••••"  # what the stored event (and the admin) shows in a secret's place


def notification_create(
    *,
    ticket: "Ticket",
    connector: Connector,
    event_id: str,
    data: dict[str, Any],
    secrets: dict[str, str],
) -> Delivery:
    """One `customer.notification` event about `ticket` to `connector` — an active
    communications system of the ticket's client, or ValueError — in the caller's
    transaction, queued on commit; the same `event_id` again returns the row written.

    `data` goes under "data" whole: it is not filtered by the connector's data scope, so
    it must hold only what the desk shows masked. `secrets` are keys of `data` whose
    values are kept sealed in the row (`SEALED`, as the messaging outbox keeps a message
    that carries a secret) with "••••••" in their place, put back only into the bytes
    sent, and wiped once the system acknowledges the event. The event takes the
    customer's next `sequence`, so it waits for the customer's earlier events to the
    same system (and later ones wait for it)."""
    if (
        connector.client_id != ticket.client_id
        or connector.kind != Kind.COMMUNICATIONS
        or not connector.is_active
    ):
        raise ValueError(
            "a notification goes only to an active communications system of the client"
        )
    said = event_body(data).decode()
    if redact_card_numbers(said) != said:
        raise ValueError("a notification must not carry a card number")
    key = f"{event_id}:{connector.pk}"
    existing = Delivery.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    now = timezone.now()
    sequence = _next_sequence(customer_id=ticket.customer_id)
    shown = {**data, **dict.fromkeys(secrets, SEALED_MASK)}
    envelope: dict[str, Any] = {
        "id": event_id,
        "type": NOTIFICATION_TYPE,
        "created_at": now.isoformat(),
        "client": ticket.client.slug,
        "ticket": ticket.reference,
        "category": ticket.category,
        "sequence": sequence,
        "replaces": _previous_sequence(connector=connector, customer_id=ticket.customer_id),
        "data": shown,
    }
    if secrets:
        envelope[SEALED] = crypto.seal(dict(secrets))
    with transaction.atomic():  # a savepoint: a lost race must not break the caller's
        delivery, created = Delivery.objects.get_or_create(
            idempotency_key=key,
            defaults={
                "client_id": ticket.client_id,
                "ticket": ticket,
                "connector": connector,
                "event": envelope,
                "event_id": event_id,
                "customer_id": ticket.customer_id,
                "sequence": sequence,
                "status": Status.PENDING,
                "next_attempt_at": now,
                "created_at": now,
            },
        )
    if created:
        _enqueue(delivery.pk)
    return delivery


def outgoing_event(event: dict[str, Any]) -> dict[str, Any]:
    """The event as sent: the stored one with its sealed secrets back in place (the bytes
    sent are this, nothing added). ValueError if they cannot be unsealed."""
    if SEALED not in event:
        return event
    sent = {k: v for k, v in event.items() if k != SEALED}
    sent["data"] = {**event.get("data", {}), **crypto.unseal(event[SEALED])}
    return sent


def _wipe_sealed(delivery_id: int) -> None:
    """An acknowledged event's secrets are no longer needed: drop the sealed copy (the
    row keeps the event as staff see it)."""
    event = Delivery.objects.values_list("event", flat=True).get(pk=delivery_id)
    if isinstance(event, dict) and SEALED in event:
        Delivery.objects.filter(pk=delivery_id).update(
            event={k: v for k, v in event.items() if k != SEALED}
        )


def _next_sequence(*, customer_id: int | None) -> int | None:
    """The customer's next event number. The UPDATE holds the row's lock until the
    caller's transaction ends: a second apply for the customer waits, then numbers its
    event after this one."""
    if customer_id is None:
        return None
    EventSequence.objects.get_or_create(customer_id=customer_id)
    EventSequence.objects.filter(customer_id=customer_id).update(last=F("last") + 1)
    return EventSequence.objects.values_list("last", flat=True).get(customer_id=customer_id)


def _previous_sequence(*, connector: Connector, customer_id: int | None) -> int | None:
    if customer_id is None:
        return None
    return (
        Delivery.objects.filter(connector=connector, customer_id=customer_id)
        .exclude(sequence__isnull=True)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    )


def _earlier_open() -> Exists:
    """An earlier event of the same customer is still on its way to the same system."""
    return Exists(
        Delivery.objects.filter(
            connector_id=OuterRef("connector_id"),
            customer_id=OuterRef("customer_id"),
            sequence__lt=OuterRef("sequence"),
            status__in=OPEN_STATUSES,
        )
    )


def _release_next(delivery_id: int) -> None:
    """The delivery is done (delivered or given up): queue the customer's next event to
    the same system, which waited for it."""
    done = Delivery.objects.filter(pk=delivery_id).values("connector_id", "customer_id", "sequence")
    row = done.first()
    if row is None or row["customer_id"] is None or row["sequence"] is None:
        return
    following = (
        Delivery.objects.filter(
            connector_id=row["connector_id"],
            customer_id=row["customer_id"],
            sequence__gt=row["sequence"],
            status__in=OPEN_STATUSES,
        )
        .order_by("sequence")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        Delivery.objects.filter(pk=following, status__in=OPEN_STATUSES).update(
            next_attempt_at=Least(F("next_attempt_at"), timezone.now())
        )
        _enqueue(following)


_VALUELESS = {"command", "remove"}


def scoped(data: dict[str, Any], *, scope: list[str]) -> dict[str, Any] | None:
    """`data` with only the changes a connector of `scope` may receive: values of the
    fields in its scope (and sendable at all: connectors/scopes.py), commands and
    removals (they carry no value). None when nothing is left to tell it."""
    allowed = set(scope or []) & scopable_keys()
    changes = [
        change
        for change in data.get("changes", [])
        # Fail closed: a change that is not a command or a removal is a value, and goes
        # only if its field is in the scope.
        if change.get("kind") in _VALUELESS or change.get("field") in allowed
    ]
    if not changes and not data.get("commands"):
        return None
    return {**data, "changes": changes} if "changes" in data else data


def _enqueue(delivery_id: int) -> None:
    # Like `deliver.delay_on_commit`, but a broker outage (Redis down) must not fail the
    # request whose transaction has already committed: the row is there, and the sweep
    # queues it once the broker is back.
    transaction.on_commit(lambda: _publish(delivery_id))


def _publish(delivery_id: int) -> None:
    # Imported here: tasks.py imports this module (Celery's services <-> tasks cycle).
    from .tasks import deliver

    try:
        deliver.apply_async((delivery_id,), retry=False)
    except Exception as error:  # kombu / redis errors: the broker is unreachable
        logger.warning(
            "delivery %s not queued (%s); the sweep will queue it",
            delivery_id,
            type(error).__name__,
        )


# --- Used by the delivery task -------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """A claimed delivery, with its secret in clear (in memory only)."""

    id: int
    url: str
    secret: str
    body: bytes
    event_id: str
    idempotency_key: str
    attempts: int


def delivery_claim(*, delivery_id: int) -> Outgoing | None:
    """Hold an open, due delivery no other worker holds, and return it; None otherwise
    (delivered, given up, not due yet, or held): the caller then does nothing."""
    now = timezone.now()
    # A retry's countdown and the row's due time come from two clocks: a little slack.
    due_by = now + dt.timedelta(seconds=5)
    claimed = (
        Delivery.objects.filter(
            pk=delivery_id, status__in=OPEN_STATUSES, next_attempt_at__lte=due_by
        )
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        # In order: an event waits while an earlier one of its customer is on its way to
        # the same system (that one's end queues it: _release_next).
        .exclude(_earlier_open())
        .update(locked_until=now + _lease(), attempts=F("attempts") + 1)
    )
    if claimed != 1:
        return None
    delivery = Delivery.objects.select_related("connector").get(pk=delivery_id)
    try:
        secret = delivery.connector.secret()
    except ValueError:  # sealed with a key the desk no longer has
        delivery_give_up(
            delivery_id=delivery_id, error="the connector's secret cannot be decrypted"
        )
        return None
    try:
        sent = outgoing_event(delivery.event)
    except ValueError:  # a notification's link sealed with a key the desk no longer has
        delivery_give_up(delivery_id=delivery_id, error="the event's secret cannot be decrypted")
        return None
    return Outgoing(
        id=delivery.pk,
        url=delivery.connector.url,
        secret=secret,
        body=event_body(sent),
        event_id=delivery.event_id,
        idempotency_key=delivery.idempotency_key,
        attempts=delivery.attempts,
    )


def delivery_mark_delivered(*, delivery_id: int, status_code: int) -> bool:
    now = timezone.now()
    done = Delivery.objects.filter(pk=delivery_id, status__in=OPEN_STATUSES).update(
        status=Status.DELIVERED,
        delivered_at=now,
        last_status_code=status_code,
        last_error="",
        locked_until=None,
    )
    if done:
        _wipe_sealed(delivery_id)
        _note(delivery_id, "Delivered to %(connector)s.")
        _release_next(delivery_id)
    return bool(done)


def delivery_failed(*, delivery_id: int, status_code: int | None, error: str) -> int | None:
    """Record a failed attempt: seconds until the next one, or None if that was the last
    (the delivery has given up)."""
    attempts = Delivery.objects.filter(pk=delivery_id).values_list("attempts", flat=True).first()
    if attempts is None:
        return None
    if attempts >= max_attempts():
        delivery_give_up(
            delivery_id=delivery_id,
            error=f"gave up after {attempts} attempts: {error}",
            status_code=status_code,
        )
        return None
    delay = retry_delay(attempts)
    Delivery.objects.filter(pk=delivery_id, status__in=OPEN_STATUSES).update(
        status=Status.FAILING,
        last_status_code=status_code,
        last_error=error[:255],
        next_attempt_at=timezone.now() + dt.timedelta(seconds=delay),
        locked_until=None,
    )
    return delay


def delivery_give_up(*, delivery_id: int, error: str, status_code: int | None = None) -> None:
    updated = Delivery.objects.filter(pk=delivery_id, status__in=OPEN_STATUSES).update(
        status=Status.GAVE_UP,
        last_status_code=status_code,
        last_error=error[:255],
        locked_until=None,
    )
    if updated:
        logger.warning("delivery %s gave up: %s", delivery_id, error)
        _note(delivery_id, "Delivery to %(connector)s gave up; a supervisor can retry it.")
        # Giving up ends the wait of the customer's later events (a supervisor's retry
        # then sends this one late; its sequence lets the receiver see it is older).
        _release_next(delivery_id)


def _note(delivery_id: int, message: str) -> None:
    """A system note on the ticket's timeline."""
    delivery = Delivery.objects.select_related("connector").get(pk=delivery_id)
    TicketEvent.objects.create(
        ticket_id=delivery.ticket_id,
        at=timezone.now(),
        kind=TicketEvent.Kind.NOTE,
        message=message % {"connector": delivery.connector.name},
    )


@transaction.atomic
def delivery_retry(*, delivery: Delivery, by: User, request: HttpRequest | None = None) -> None:
    """A supervisor sends a failing or given-up delivery again, now, with a full set of
    attempts. Raises DeliveryError if it is delivered or already pending, or has nothing
    to send (its values could not be encrypted: they were never written)."""
    if not {"data", "data_jwe"} & set(delivery.event):
        raise DeliveryError(
            "This delivery has nothing to send: its values could not be encrypted with the "
            "connector's public key. Fix the key; the next change is sent with it."
        )
    updated = Delivery.objects.filter(
        pk=delivery.pk, status__in=[Status.FAILING, Status.GAVE_UP]
    ).update(status=Status.PENDING, attempts=0, next_attempt_at=timezone.now(), locked_until=None)
    if not updated:
        raise DeliveryError("Only a failing or given-up delivery can be retried.")
    audit_record(
        action="connectors.delivery_retried",
        actor=by,
        client=delivery.client,
        target=delivery,
        data={"connector": delivery.connector.name, "ticket": delivery.ticket.reference},
        request=request,
    )
    _enqueue(delivery.pk)


def deliveries_sweep() -> int:
    """Queue again the open deliveries whose next attempt is well past due and that no
    worker holds (their task was lost: Redis was down, or a worker died). Returns how
    many."""
    now = timezone.now()
    grace = dt.timedelta(seconds=int(_setting("CONNECTOR_SWEEP_AFTER", 60)))
    batch = int(_setting("CONNECTOR_SWEEP_BATCH", 500))
    stale = list(
        Delivery.objects.filter(status__in=OPEN_STATUSES, next_attempt_at__lt=now - grace)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .exclude(_earlier_open())  # waiting its turn, not lost
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:batch]
    )
    # Imported here: tasks.py imports this module (Celery's services <-> tasks cycle).
    from .tasks import deliver

    for delivery_id in stale:
        # Due again from now: the next sweep leaves it alone unless it is stuck again.
        Delivery.objects.filter(pk=delivery_id, status__in=OPEN_STATUSES).update(
            next_attempt_at=now
        )
        deliver.delay(delivery_id)
    if stale:
        logger.info("connectors sweep queued %d deliveries again", len(stale))
    return len(stale)
