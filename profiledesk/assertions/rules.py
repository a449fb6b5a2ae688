"""What a client's signing key may be and how much an app sign-in proves (pure rules:
no database write; the admin forms and the verification service share them)."""

from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Algorithm

# The levels an app sign-in reaches when the client has not set its own (docs/api.md):
# one factor is AL1; two factors, or a phishing-resistant authenticator (a passkey or a
# hardware key, `hwk`), AL2. RFC 8176 names: pwd password, pin, otp one-time code (app),
# sms, swk software key, hwk hardware key/passkey, mfa several factors.
DEFAULT_LEVELS: dict[str, int] = {
    "pwd": 1,
    "pin": 1,
    "otp": 1,
    "sms": 1,
    "swk": 1,
    "hwk": 2,
    "mfa": 2,
    "pwd+otp": 2,
    "pwd+sms": 2,
    "pwd+swk": 2,
}
# An app sign-in never proves an identity document: AL3 needs the desk's (or a
# provider's) document check, so no mapping may give more than AL2.
MAX_LEVEL = 2
MAX_LEVEL_ENTRIES = 50
METHOD_MAX_LENGTH = 32
MIN_RSA_BITS = 2048


def _method_set(entry: str) -> frozenset[str]:
    return frozenset(part.strip() for part in entry.split("+"))


def levels_clean(value: Any) -> dict[str, int]:
    """A client's mapping, checked and normalised, or ValidationError saying what is wrong."""
    if not isinstance(value, dict) or not value:
        raise ValidationError(_('Give an object such as {"pwd": 1, "pwd+otp": 2}.'))
    if len(value) > MAX_LEVEL_ENTRIES:
        raise ValidationError(_("At most %(n)d entries.") % {"n": MAX_LEVEL_ENTRIES})
    cleaned: dict[str, int] = {}
    for entry, level in value.items():
        methods = _method_set(entry) if isinstance(entry, str) else frozenset()
        if not methods or not all(
            method.isascii() and method.isalnum() and len(method) <= METHOD_MAX_LENGTH
            for method in methods
        ):
            raise ValidationError(
                _("Name sign-in methods with letters and digits, joined by +, e.g. pwd+otp.")
            )
        if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= MAX_LEVEL:
            raise ValidationError(
                _("Each level is a whole number from 0 to %(max)d (an app sign-in proves no "
                  "identity document, so never AL3).") % {"max": MAX_LEVEL}
            )  # fmt: skip
        cleaned["+".join(sorted(methods))] = level
    return cleaned


def level_for(amr: Iterable[str], levels: Mapping[str, int]) -> int:
    """The level an assertion's `amr` reaches: the highest entry whose methods were all
    used. Methods the mapping does not name add nothing; none known: 0 (no evidence)."""
    used = frozenset(amr)
    level = max((level for entry, level in levels.items() if _method_set(entry) <= used), default=0)
    # Capped here too, not only in the admin's form: a row written around it (a shell, a
    # data migration, a restored backup) must not turn an app sign-in into AL3.
    return max(0, min(int(level), MAX_LEVEL))


def public_key_load(pem: str, algorithm: str) -> Any:
    """The public key `pem` holds, if it suits `algorithm`; ValidationError otherwise. The
    message never repeats the text (a private key pasted by mistake is not echoed)."""
    try:
        key = serialization.load_pem_public_key(pem.strip().encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError):
        raise ValidationError(
            _("Paste a public key in PEM (-----BEGIN PUBLIC KEY-----). A private key or a "
              "shared secret is never accepted.")
        ) from None  # fmt: skip
    if algorithm == Algorithm.ES256:
        if not (isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"):
            raise ValidationError(_("ES256 needs an EC key on the P-256 curve."))
    elif algorithm == Algorithm.RS256:
        if not isinstance(key, rsa.RSAPublicKey) or key.key_size < MIN_RSA_BITS:
            raise ValidationError(_("RS256 needs an RSA key of at least 2048 bits."))
    elif algorithm == Algorithm.EDDSA:
        if not isinstance(key, ed25519.Ed25519PublicKey):
            raise ValidationError(_("EdDSA needs an Ed25519 key."))
    else:
        raise ValidationError(_("Choose ES256, RS256 or EdDSA."))
    return key


def public_key_normalised(pem: str, algorithm: str) -> str:
    """The key re-encoded as SubjectPublicKeyInfo PEM: only the key is kept."""
    key = public_key_load(pem, algorithm)
    encoded: bytes = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return encoded.decode("ascii")
