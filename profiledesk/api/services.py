"""Change requests submitted through the API, made idempotent per client.

`Idempotency-Key` semantics (after the IETF httpapi draft): the first request with a key
creates the ticket; a retry with the same key and the same body gets that ticket back; the
same key with another body is refused (422). The unique constraint on (client, key) is
what holds under concurrency: the second of two simultaneous requests waits on the
first's insert, then replays its ticket.
"""

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from audit.services import audit_record
from profiledesk.assertions.services import assertion_record, assertion_verify
from profiledesk.clients.models import Client
from profiledesk.intake.capture import drafts_for
from profiledesk.policies.categories import Category
from profiledesk.tickets.models import Ticket
from profiledesk.tickets.services import ticket_create

from .models import ApiKey, IdempotencyRecord


class IdempotencyConflict(Exception):
    """The key was used before for another request; the message is safe to send back."""


@dataclass(frozen=True)
class Submission:
    ticket: Ticket
    created: bool  # False: a retry, answered with the ticket the first request created


def request_fingerprint(data: object) -> str:
    """A keyed hash of the request body as parsed, so that key order and spacing do not
    matter. Keyed: the body may hold a card number."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return salted_hmac("profiledesk.api.idempotency", canonical, algorithm="sha256").hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Submission:
    if record.request_hash != fingerprint:
        raise IdempotencyConflict(
            _(
                "This Idempotency-Key was already used for a different request: use a new key "
                "for a new request."
            )
        )
    if record.ticket is None:  # cannot be seen committed; kept for safety
        raise IdempotencyConflict(_("A request with this Idempotency-Key is still in progress."))
    return Submission(ticket=record.ticket, created=False)


def change_request_replay(*, client: Client, key: str, fingerprint: str) -> Submission | None:
    """The earlier answer to this key, if any (raises IdempotencyConflict on a new body)."""
    record = (
        IdempotencyRecord.objects.select_related("ticket").filter(client=client, key=key).first()
    )
    return None if record is None else _replay(record, fingerprint)


@transaction.atomic
def change_request_submit(
    *,
    api_key: ApiKey,
    key: str,
    fingerprint: str,
    data: dict[str, Any],
    cleaned_data: dict[str, Any],
) -> Submission:
    """Open a ticket from validated API data, once per (client, Idempotency-Key):
    `data` from the request serializer, `cleaned_data` from the category's capture form
    (api/changes.py `capture_form`).

    Raises Django's ValidationError when capture finds nothing to change (the values are
    what the profile already holds), AssertionRefused when `data["assertion"]` is not
    accepted; the transaction, and so the key, is rolled back."""
    client = api_key.client
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                client=client,
                api_key=api_key,
                key=key,
                request_hash=fingerprint,
                created_at=timezone.now(),
            )
    except IntegrityError:
        # Another request with this key committed first (we waited on its insert).
        record = IdempotencyRecord.objects.select_related("ticket").get(client=client, key=key)
        return _replay(record, fingerprint)
    category = data["category"]
    customer = data.get("customer")
    # The app's assertion is checked and its jti spent in this transaction: refused, it
    # rolls back the key and opens nothing; a ticket that fails to open gives the jti back.
    assertion = None
    if data.get("assertion") is not None:
        assertion = assertion_verify(
            client=client,
            token=data["assertion"],
            customer_number=customer.number if customer is not None else None,
        )
    ticket = ticket_create(
        client=client,
        channel=data["channel"],
        category=category,
        items=drafts_for(category=category, cleaned_data=cleaned_data, customer=customer),
        customer=customer,
        summary=data["summary"]
        or _("%(category)s: change requested through the API")
        % {"category": Category(category).label},
        comment=data["comment"],
    )
    record.ticket = ticket
    record.save(update_fields=["ticket"])
    # Which key sent which ticket outlives the idempotency record (purged after
    # API_IDEMPOTENCY_DAYS): the audit log keeps it.
    audit_record(
        action="api.change_request_received",
        client=client,
        target=ticket,
        data={"reference": ticket.reference, "api_key": api_key.prefix, "key_name": api_key.name},
    )
    if assertion is not None:
        assertion_record(ticket=ticket, assertion=assertion)
    return Submission(ticket=ticket, created=True)


IDEMPOTENCY_PURGE_BATCH = 1000


def idempotency_records_purge(*, batch_size: int = IDEMPOTENCY_PURGE_BATCH) -> int:
    """Delete idempotency records older than API_IDEMPOTENCY_DAYS, a batch per transaction
    (short locks, and a run cut short keeps what it did). Safe to run twice: it deletes
    by age only. After that, a retry with the same key opens a new ticket. Returns how
    many were deleted."""
    cutoff = timezone.now() - dt.timedelta(days=settings.API_IDEMPOTENCY_DAYS)
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                IdempotencyRecord.objects.filter(created_at__lt=cutoff)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                return deleted
            deleted += IdempotencyRecord.objects.filter(pk__in=ids).delete()[0]
