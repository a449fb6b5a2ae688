"""The "this wasn't me" token: a random value, signed with a timestamp.

The link carries `TimestampSigner(salt).sign(raw)`: tampering breaks the signature, the
timestamp bounds its life (7 days), and the desk stores only SHA-256(raw) on the
ReportLink row, which records the single use.
"""

import datetime as dt
import hashlib
import secrets

from django.core import signing

SALT = "profiledesk.confirmations.report-link"
VALID_FOR = dt.timedelta(days=7)


class TokenError(Exception):
    """Why a token cannot be used: `kind` is "invalid", "expired" or "used"."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_new() -> tuple[str, str]:
    """(the signed token for the link, the hash to store)."""
    raw = secrets.token_urlsafe(24)
    return _signer().sign(raw), token_hash(raw)


def token_read(token: str) -> str:
    """The hash of a signed token's value; TokenError if tampered with or expired."""
    try:
        raw = _signer().unsign(token, max_age=VALID_FOR)
    except signing.SignatureExpired:
        raise TokenError("expired") from None
    except signing.BadSignature:
        raise TokenError("invalid") from None
    return token_hash(raw)
