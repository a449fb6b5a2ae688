"""Encrypted payloads (docs/webhooks.md, "Encrypted payloads"): a receiver registers a
public key (a JWK) on its connector, and the scoped values of its events travel as a
JWE (RFC 7516) only its private key opens. The JOSE work is joserfc's; the desk writes
no cryptography of its own.

Two algorithms, no negotiation: RSA keys get RSA-OAEP-256, EC keys (P-256, P-384,
P-521) ECDH-ES; the content is always A256GCM. No compression ("zip"): compressing
before encrypting leaks the plaintext's length pattern.

The key a desk admin pastes is hostile input until proven otherwise: its size and
nesting are measured before it is parsed, a private key is refused (it must never leave
the receiver), and only the public members the desk needs are kept.
"""

import warnings
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from joserfc import jwe
from joserfc.jwk import ECKey, RSAKey

from profiledesk.intake.json_limits import JSONLimitError, loads_limited

ALGORITHMS = {"RSA": "RSA-OAEP-256", "EC": "ECDH-ES"}
ENCRYPTION = "A256GCM"
CURVES = ("P-256", "P-384", "P-521")
MIN_RSA_BITS = 2048
# An RSA-16384 public JWK is about 2,800 characters: anything longer is not one key.
MAX_CHARS = 8192
# A JWK is a flat object (arrays at most, as in "key_ops"): depth 2.
MAX_DEPTH = 2
MAX_MEMBER_CHARS = 4096
MAX_KID_CHARS = 100
# Members only a private (or symmetric) key has (RFC 7518 §6.3.2, §6.2.2, §6.4).
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
_REQUIRED = {"RSA": ("n", "e"), "EC": ("crv", "x", "y")}
# Exactly what the desk uses: joserfc's default registry would also accept others.
_REGISTRY = jwe.JWERegistry(algorithms=[*ALGORITHMS.values(), ENCRYPTION])


class EncryptionError(Exception):
    """The payload could not be encrypted with the connector's key."""


def _refuse(message, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def public_jwk_parse(text: str) -> dict[str, str]:
    """The public JWK in `text`, reduced to the members the desk uses; ValidationError
    (a message for the form field, never one that repeats the key) otherwise."""
    if len(text) > MAX_CHARS:
        raise _refuse(
            _(
                "A public key is at most %(max)d characters. Paste one key (a JWK), not a key "
                "set or a certificate chain."
            )
            % {"max": MAX_CHARS},
            "size",
        )
    try:
        parsed = loads_limited(text, max_depth=MAX_DEPTH)
    except JSONLimitError:
        raise _refuse(
            _("A JWK is one flat JSON object: this one nests too deeply."), "nesting"
        ) from None
    except ValueError:
        raise _refuse(
            _('Paste the key as JSON (a JWK), such as {"kty": "RSA", "n": "…", "e": "AQAB"}.'),
            "json",
        ) from None
    return public_jwk_clean(parsed)


def public_jwk_clean(jwk: Any) -> dict[str, str]:
    """`jwk` (parsed JSON) checked as a public encryption key the desk can use."""
    if not isinstance(jwk, dict):
        raise _refuse(_("A JWK is one JSON object."), "json")
    if "keys" in jwk:
        raise _refuse(_("This is a key set: paste one key from it."), "key_set")
    if any(name in jwk for name in PRIVATE_MEMBERS):
        # Checked before anything else: whatever else is wrong, say this first.
        raise _refuse(
            _(
                "This is a private key: it must never leave your receiver. Paste the public "
                'key only (the JWK without "d" and the other private members).'
            ),
            "private",
        )
    kty = jwk.get("kty")
    if not isinstance(kty, str) or kty not in ALGORITHMS:
        raise _refuse(
            _(
                'Use an RSA or an EC key (kty "RSA" or "EC"): the desk encrypts with '
                "RSA-OAEP-256 or ECDH-ES."
            ),
            "kty",
        )
    if "use" in jwk and jwk["use"] != "enc":
        raise _refuse(_('This key is not for encryption: its "use" must be "enc".'), "use")
    if "alg" in jwk and jwk["alg"] != ALGORITHMS[kty]:
        raise _refuse(
            _('This key names another algorithm: an %(kty)s key must say "alg": "%(alg)s".')
            % {"kty": kty, "alg": ALGORITHMS[kty]},
            "alg",
        )
    kid = jwk.get("kid")
    if kid is not None and not (
        isinstance(kid, str) and 0 < len(kid) <= MAX_KID_CHARS and kid.isprintable()
    ):
        raise _refuse(
            _('The key id ("kid") must be printable text of at most %(max)d characters.')
            % {"max": MAX_KID_CHARS},
            "kid",
        )
    members = {}
    for name in _REQUIRED[kty]:
        value = jwk.get(name)
        if not isinstance(value, str) or not value or len(value) > MAX_MEMBER_CHARS:
            raise _refuse(
                _('The key\'s "%(name)s" is missing or is not a base64url string.')
                % {"name": name},
                "member",
            )
        members[name] = value
    if kty == "EC" and members["crv"] not in CURVES:
        raise _refuse(_("Use the curve P-256, P-384 or P-521."), "curve")
    clean: dict[str, str] = {"kty": kty, **members, "use": "enc", "alg": ALGORITHMS[kty]}
    if kid is not None:
        clean["kid"] = kid
    key = _import(clean)  # proves the numbers make a key (a point on its curve, …)
    if kty == "RSA" and key.raw_value.key_size < MIN_RSA_BITS:
        raise _refuse(
            _("An RSA key needs at least %(bits)d bits.") % {"bits": MIN_RSA_BITS}, "size"
        )
    return clean


def _import(jwk: dict[str, str]) -> RSAKey | ECKey:
    key_class = RSAKey if jwk["kty"] == "RSA" else ECKey
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # joserfc warns of small keys; we refuse them
            members: dict[str, str | list[str]] = dict(jwk)
            return key_class.import_key(members)
    except Exception:  # whatever the numbers break, it is not a key
        raise _refuse(
            _("This is not a valid %(kty)s public key.") % {"kty": jwk["kty"]}, "invalid"
        ) from None


def thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 thumbprint: names the key in audit events and on the admin page."""
    return _import(jwk).thumbprint()


def encrypt(*, jwk: dict[str, str], plaintext: bytes) -> str:
    """`plaintext` as a JWE compact string for `jwk` (a key `public_jwk_clean` kept)."""
    try:
        clean = public_jwk_clean(jwk)  # a row written around the form is checked too
        header = {"alg": clean["alg"], "enc": ENCRYPTION, "cty": "application/json"}
        if "kid" in clean:
            header["kid"] = clean["kid"]
        return jwe.encrypt_compact(header, plaintext, _import(clean), registry=_REGISTRY)
    except Exception as error:  # the caller then sends nothing in clear
        raise EncryptionError(type(error).__name__) from None
