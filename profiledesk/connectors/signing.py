"""The signature on every event: HMAC-SHA256 over "<timestamp>.<body>" with the
connector's secret, sent as X-ProfileDesk-Signature: sha256=<hex> (docs/webhooks.md)."""

import hashlib
import hmac
import json


def event_body(event: dict) -> bytes:
    """The exact bytes sent: compact, keys sorted, so a retry sends the same body."""
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def signature_valid(*, secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """What a receiver does (kept here so that the tests check the documented recipe)."""
    expected = signature(secret=secret, timestamp=int(timestamp), body=body)
    return hmac.compare_digest(expected, header)
