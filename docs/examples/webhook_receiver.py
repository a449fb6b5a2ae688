"""A ProfileDesk webhook receiver in plain Python (docs/webhooks.md): check the signature,
open an encrypted payload or fetch a thin event's values, drop replays and stale events,
update your own record of the customer.

The desk's test suite runs this file against the real sender (tests/connectors/
test_order.py, test_encryption.py, test_thin.py), so it stays true to what the desk sends.
Decrypting needs joserfc (`pip install joserfc`); the rest is the standard library.
"""

import hashlib
import hmac
import json
import time
import urllib.request
import uuid

from joserfc import jwe
from joserfc.jwk import import_key

TOLERANCE_SECONDS = 300  # refuse a signature older than five minutes (a replay)
# Only what the desk uses: a JWE naming any other algorithm is refused, not tried.
JWE_ALGORITHMS = jwe.JWERegistry(algorithms=["RSA-OAEP-256", "ECDH-ES", "A256GCM"])


def verify(*, secret: str, headers: dict[str, str], body: bytes, now: float | None = None) -> dict:
    """The event in `body` if its signature is ProfileDesk's and recent; ValueError if not.
    `headers` with lower-case names; `body` exactly as received (do not re-serialise)."""
    timestamp = headers["x-profiledesk-timestamp"]
    if abs((now or time.time()) - int(timestamp)) > TOLERANCE_SECONDS:
        raise ValueError("stale signature")
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    if not hmac.compare_digest("sha256=" + digest.hexdigest(), headers["x-profiledesk-signature"]):
        raise ValueError("bad signature")
    return json.loads(body)


def decrypt(event: dict, *, private_jwk: dict) -> dict:
    """`event` with its "data_jwe" opened into "data" with your private key (a JWK that
    never leaves your side); an event without one is returned as it is. A JWE your key
    cannot open raises joserfc.errors.JoseError: answer 5xx and alert your team."""
    if "data_jwe" not in event:
        return event
    opened = jwe.decrypt_compact(
        event["data_jwe"], import_key(private_jwk), registry=JWE_ALGORITHMS
    )
    rest = {name: value for name, value in event.items() if name != "data_jwe"}
    return {**rest, "data": json.loads(opened.plaintext)}


def fetch(event: dict, *, desk_url: str, api_key: str, timeout: float = 10) -> dict:
    """A thin event's values: the event as a full one, fetched once from the desk with
    your client's API key (GET /api/v1/events/<fetch id>/). The URL is built from your
    own configuration (`desk_url`) and the id, which must be a UUID: your key is never
    sent where a payload says. A second fetch, or one after `fetch.expires_at`, is an
    HTTP 410 (urllib.error.HTTPError): the desk no longer holds the values."""
    fetch_id = uuid.UUID(event["fetch"]["id"])
    if not desk_url.startswith(("https://", "http://")):  # https:// in production
        raise ValueError("desk_url must be an http(s) URL")
    url = f"{desk_url.rstrip('/')}/api/v1/events/{fetch_id}/"
    headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - scheme checked
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        full = json.loads(response.read())
    if full["id"] != event["id"] or full["sequence"] != event["sequence"]:
        raise ValueError("the desk answered with another event")
    return full


class Records:
    """Your system's records, keyed by customer number: the fields you receive, and the
    sequence of the last event applied to each customer."""

    def __init__(self) -> None:
        self.customers: dict[str, dict] = {}
        self.seen: set[str] = set()  # idempotency keys already handled

    def apply(self, event: dict, *, idempotency_key: str) -> str:
        if idempotency_key in self.seen:
            return "duplicate"  # a retry of what you already have: answer 2xx again
        self.seen.add(idempotency_key)
        record = self.customers.setdefault(event["data"]["customer"], {"sequence": 0})
        if event["type"] == "customer.notification":
            # A message for the customer, not a record update: shown whatever its
            # sequence (plain text: escape it where you render it), the sequence untouched.
            notice = {k: event["data"][k] for k in ("title", "body", "report_url")}
            record.setdefault("notifications", []).append(notice)
            return "notified"
        if event["sequence"] <= record["sequence"]:
            return "stale"  # older than what you hold: keep yours
        for change in event["data"]["changes"]:
            if change["kind"] == "value":
                record[(change["field"], change["row"])] = change["new"]
            elif change["kind"] == "remove":
                record.pop((change["field"], change["row"]), None)
        record["commands"] = record.get("commands", []) + event["data"].get("commands", [])
        record["sequence"] = event["sequence"]
        return "applied"
