"""A ProfileDesk webhook receiver in plain Python (docs/webhooks.md): check the signature,
drop replays and stale events, update your own record of the customer.

The desk's test suite runs this file against the real sender
(tests/connectors/test_receiver_example.py), so it stays true to what the desk sends.
"""

import hashlib
import hmac
import json
import time

TOLERANCE_SECONDS = 300  # refuse a signature older than five minutes (a replay)


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
