"""Thin events (docs/webhooks.md, "Thin events"): the receiver of a thin connector's
event fetches its values once, with one of its client's API keys, within
CONNECTOR_THIN_FETCH_HOURS. The values then leave the desk's database: a fetch wipes
them, and so does the hourly purge of those nobody fetched in time.

Every fetch is an audit event, refusals included (another client's key, a second
fetch, a late one), naming the key and the fields — never a value. The API's view
(profiledesk/api) answers 404 for an event that is not the caller's (it learns nothing
about other clients' ids) and 410 for one that was fetched or has expired.
"""

import uuid
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from profiledesk.clients.models import Client

from .models import Delivery

_MESSAGES = {
    "unknown": _("No such event."),
    "used": _("This event's values were fetched already: they are fetched once."),
    "expired": _("This event's values have expired."),
}


class FetchRefused(Exception):
    """The event cannot be fetched: `reason` is "unknown" (a 404: not the caller's, not a
    thin delivery, no such id), "used" or "expired" (a 410). The message is safe to send
    to the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(str(_MESSAGES[reason]))
        self.reason = reason
        self.gone = reason != "unknown"


def _fields(delivery: Delivery) -> list[str]:
    # The thin event's own names of the fields: the payload may be encrypted.
    changes = (delivery.event.get("data") or {}).get("changes", [])
    return sorted({str(change.get("field", "")) for change in changes})


def _audit(
    *,
    action: str,
    delivery: Delivery,
    caller: Client,
    key_label: str,
    request: HttpRequest | None,
    **extra: Any,
) -> None:
    audit_record(
        action=action,
        client=delivery.client,
        target=delivery,
        data={
            "event": delivery.event_id,
            "connector": delivery.connector.name,
            "ticket": delivery.ticket.reference,
            "api_key": key_label,
            "caller_client": caller.slug,
            **extra,
        },
        request=request,
    )


def thin_event_fetch(
    *, fetch_id: uuid.UUID, client: Client, key_label: str, request: HttpRequest | None = None
) -> dict[str, Any]:
    """The full event of the thin delivery `fetch_id` for `client`'s system, once.
    Raises FetchRefused: not the client's (or not a thin delivery), already fetched,
    expired. `key_label` names the API key in the audit events (its prefix)."""
    delivery = (
        Delivery.objects.select_related("client", "connector", "ticket")
        .filter(fetch_id=fetch_id)
        .first()
    )
    if delivery is None:
        raise FetchRefused("unknown")
    refusal = _refusal(delivery, client=client)
    if refusal is None:
        payload = delivery.fetch_payload
        with transaction.atomic():
            # Conditional: of two fetches at once, one wins and the other is a replay.
            claimed = Delivery.objects.filter(
                pk=delivery.pk,
                fetched_at__isnull=True,
                fetch_payload__isnull=False,
                fetch_expires_at__gt=timezone.now(),
            ).update(fetched_at=timezone.now(), fetch_payload=None)
            if claimed == 1 and payload is not None:
                _audit(
                    action="connectors.event_fetched",
                    delivery=delivery,
                    caller=client,
                    key_label=key_label,
                    request=request,
                    fields=_fields(delivery),
                    encrypted="data_jwe" in payload,
                )
                return payload
        refusal = FetchRefused("used")
    _audit(
        action="connectors.event_fetch_refused",
        delivery=delivery,
        caller=client,
        key_label=key_label,
        request=request,
        reason=refusal.reason,
    )
    raise refusal


def _refusal(delivery: Delivery, *, client: Client) -> FetchRefused | None:
    if delivery.client_id != client.pk:
        return FetchRefused("unknown")
    if delivery.fetched_at is not None:
        return FetchRefused("used")
    if delivery.fetch_payload is None or (
        delivery.fetch_expires_at is not None and delivery.fetch_expires_at <= timezone.now()
    ):
        return FetchRefused("expired")
    return None


def thin_payloads_purge() -> int:
    """Wipe the values of thin events nobody fetched in time; returns how many."""
    return Delivery.objects.filter(
        fetch_payload__isnull=False, fetch_expires_at__lte=timezone.now()
    ).update(fetch_payload=None)
