"""What one connector is sent of an event, by its delivery mode (docs/webhooks.md):

- **full**: the envelope with the scoped values under "data"; with a public key, under
  "data_jwe" instead, a JWE compact string only the receiver's private key opens;
- **thin**: the envelope with "data" naming the change (customer, fields, rows, kinds,
  commands: no value) and "fetch" (where and until when to fetch the rest); the full
  event — as the full mode would have sent it, encrypted likewise — waits on the
  Delivery row for the receiver's one fetch (connectors/thin.py).

Built once, when the delivery is written: every retry sends the same bytes, and the
JWE is never made again. Pure functions: the caller writes the row.
"""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse

from .encryption import EncryptionError, encrypt
from .models import Connector, Mode
from .signing import event_body

# What a thin event keeps of the data and of each change: ids and names, never a value.
# A list of what stays, not of what goes: a key added to events later stays out.
_THIN_DATA = ("customer", "applied_at", "commands")
_THIN_CHANGE = ("section", "field", "label", "kind", "row")


@dataclass(frozen=True)
class Bodies:
    event: dict[str, Any]  # signed and sent
    fetch_payload: dict[str, Any] | None = None
    fetch_id: uuid.UUID | None = None
    fetch_expires_at: dt.datetime | None = None
    # Set when the payload could not be encrypted: `event` then carries no data at all.
    error: str = ""


def thin_fetch_ttl() -> dt.timedelta:
    return dt.timedelta(hours=float(getattr(settings, "CONNECTOR_THIN_FETCH_HOURS", 24)))


def fetch_url(fetch_id: uuid.UUID) -> str:
    base = str(getattr(settings, "DESK_PUBLIC_URL", "")).rstrip("/")
    return base + reverse("api:event", kwargs={"fetch_id": fetch_id})


def thin_data(data: dict[str, Any]) -> dict[str, Any]:
    thin = {key: data[key] for key in _THIN_DATA if key in data}
    if "changes" in data:
        thin["changes"] = [
            {key: change[key] for key in _THIN_CHANGE if key in change}
            for change in data["changes"]
        ]
    return thin


def bodies_for(
    *, connector: Connector, envelope: dict[str, Any], data: dict[str, Any], now: dt.datetime
) -> Bodies:
    """The bodies of `connector`'s delivery of `envelope` with its scoped `data`."""
    if connector.encryption_key:
        try:
            token = encrypt(jwk=connector.encryption_key, plaintext=event_body(data))
        except EncryptionError as error:
            # Fail closed: a receiver that asked for encryption never gets values in clear.
            return Bodies(
                event=envelope, error=f"the connector's public key cannot encrypt ({error})"
            )
        full = {**envelope, "data_jwe": token}
    else:
        full = {**envelope, "data": data}
    if connector.mode != Mode.THIN:
        return Bodies(event=full)
    fetch_id = uuid.uuid4()
    expires_at = now + thin_fetch_ttl()
    event = {
        **envelope,
        "data": thin_data(data),
        "fetch": {
            "id": str(fetch_id),
            "url": fetch_url(fetch_id),
            "expires_at": expires_at.isoformat(),
        },
    }
    return Bodies(event=event, fetch_payload=full, fetch_id=fetch_id, fetch_expires_at=expires_at)
