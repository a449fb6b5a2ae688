"""Encryption at rest of messages that carry a secret (Fernet: AES-128-CBC + HMAC).

The key is MESSAGE_ENCRYPTION_KEY when set (a Fernet key, urlsafe base64 of 32 bytes),
otherwise derived from SECRET_KEY with HKDF; SECRET_KEY_FALLBACKS still decrypt, so
rotating the secret key does not strand a message queued a minute before.
MESSAGE_ENCRYPTION_KEY may list several keys, comma-separated: the first encrypts, every
one decrypts (rotation without downtime: docs/operations.md); `reseal` re-encrypts a
token with the first key, so that `manage.py reseal_secrets` can retire the old ones.
"""

import base64
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.encoding import force_bytes

_INFO = b"profiledesk.messaging.body"


def _derived(secret: str | bytes) -> bytes:  # Django allows a bytes fallback key
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
    key = hkdf.derive(force_bytes(secret))
    return base64.urlsafe_b64encode(key)


def _fernet() -> MultiFernet:
    explicit = getattr(settings, "MESSAGE_ENCRYPTION_KEY", "")
    keys = [key.strip().encode() for key in explicit.split(",") if key.strip()]
    keys += [_derived(s) for s in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]]
    return MultiFernet([Fernet(k) for k in keys])


def seal(content: dict[str, str]) -> str:
    return _fernet().encrypt(json.dumps(content).encode()).decode()


def unseal(token: str) -> dict[str, str]:
    """The content sealed by `seal`; ValueError if the token is not ours (or was altered)."""
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as error:
        raise ValueError("the message body cannot be decrypted with the desk's keys") from error


def reseal(token: str) -> str:
    """`token` encrypted again with the first key; ValueError if no key opens it."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as error:
        raise ValueError("the token cannot be decrypted with the desk's keys") from error
