"""The inbound webhook's signature: HMAC-SHA256 with a shared secret over
`<timestamp>.<raw body>`, sent as

    X-Desk-Timestamp: 1767225600          (Unix seconds)
    X-Desk-Signature: sha256=<hex digest>

The timestamp is inside the signed bytes, so a captured request cannot be replayed once it
is older than INBOUND_EMAIL_MAX_AGE seconds.
"""

import hashlib
import hmac
import time

from django.conf import settings
from django.utils.translation import gettext as _

# The same timestamped HMAC the desk signs its own webhooks with (docs/webhooks.md).
from profiledesk.connectors.signing import signature as timestamped_signature

TIMESTAMP_HEADER = "X-Desk-Timestamp"
SIGNATURE_HEADER = "X-Desk-Signature"


class SignatureError(Exception):
    """The request is not from our provider; the message says why and is safe to send."""


def sign(body: bytes, *, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers a sender puts on `body` (used by tests and by anyone wiring a relay)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: timestamped_signature(secret=secret, timestamp=timestamp, body=body),
    }


def verify(body: bytes, *, timestamp: str | None, signature: str | None) -> str:
    """Raise SignatureError unless the request is signed and fresh; return the SHA-256 of
    what the signature covers, the key that recognises a replay of this request (made from
    the timestamp as a number: "0176…" and "176…" sign the same)."""
    secret = settings.INBOUND_EMAIL_SECRET
    if not secret:
        raise SignatureError(_("Inbound e-mail is not configured on this desk."))
    if not timestamp or not signature:
        raise SignatureError(
            _("Sign the request: %(ts)s and %(sig)s headers are required.")
            % {"ts": TIMESTAMP_HEADER, "sig": SIGNATURE_HEADER}
        )
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise SignatureError(_("The timestamp is not a number of seconds.")) from None
    if abs(time.time() - sent_at) > settings.INBOUND_EMAIL_MAX_AGE:
        raise SignatureError(_("The signature is too old or from the future: not accepted."))
    expected = sign(body, secret=secret, timestamp=sent_at)[SIGNATURE_HEADER]
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise SignatureError(_("The signature does not match the request."))
    return hashlib.sha256(f"{sent_at}.".encode() + body).hexdigest()
