"""Stripe Identity's protocol, the parts the desk speaks (docs.stripe.com/api/identity):

- `POST {base}/v1/identity/verification_sessions`, form-encoded, `Authorization: Bearer
  <secret key>`, an `Idempotency-Key` (a retry after a timeout gets the session the first
  try made, not a second one): `type=document`, `options[document][require_matching_selfie]
  =true` and `[require_live_capture]=true` (document + selfie/liveness), `metadata[...]`
  and `client_reference_id` — desk ids only, never a customer's data. The answer is the
  VerificationSession: `id` ("vs_…"), `url` (the customer's link), `status`.
- Webhooks: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…][,v0=…]`, where v1 is
  HMAC-SHA256 of "<t>.<raw body>" with the endpoint's signing secret; Stripe's libraries
  refuse a timestamp more than 300 s away. Events `identity.verification_session.
  verified`, `.requires_input`, `.canceled` (and `.processing`, `.created`, `.redacted`).

No SDK: two calls and one signature do not need one, and the client stays small enough
to read in review.
"""

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import requests

CREATE_PATH = "/v1/identity/verification_sessions"
SIGNATURE_HEADER = "Stripe-Signature"
TOLERANCE_SECONDS = 300
# A header longer than this is not Stripe's (a few signatures during a secret's roll).
MAX_HEADER_CHARS = 2000

VERIFIED = "identity.verification_session.verified"
REQUIRES_INPUT = "identity.verification_session.requires_input"
CANCELED = "identity.verification_session.canceled"
PROCESSING = "identity.verification_session.processing"

# last_error.code values (the API reference's list) that say the person or the document
# is not who or what it claims: a risk reason on the ticket, not only a failure.
FRAUD_CODES = frozenset(
    {
        "document_unverified_other",
        "selfie_face_mismatch",
        "selfie_manipulated",
        "selfie_document_missing_photo",
        "id_number_mismatch",
    }
)
# The others the reference lists: a failure the customer may simply try again.
KNOWN_CODES = FRAUD_CODES | {
    "abandoned",
    "consent_declined",
    "country_not_supported",
    "device_not_supported",
    "document_expired",
    "document_type_not_supported",
    "email_unverified_other",
    "email_verification_declined",
    "id_number_insufficient_document_data",
    "id_number_unverified_other",
    "phone_unverified_other",
    "phone_verification_declined",
    "selfie_unverified_other",
    "under_supported_age",
}


class ProviderUnavailable(Exception):
    """Timeout, connection refused, 429 or 5xx: try again later."""


class ProviderRefused(Exception):
    """A 4xx other than 429 (a revoked key, a bad request): retrying will not help. The
    message is the provider's error code/type, never its free text."""


@dataclass(frozen=True)
class Created:
    id: str
    url: str
    status: str


def session_create(
    *,
    base_url: str,
    secret_key: str,
    idempotency_key: str,
    metadata: dict[str, str],
    client_reference_id: str,
    timeout: float,
) -> Created:
    data = {
        "type": "document",
        "options[document][require_matching_selfie]": "true",
        "options[document][require_live_capture]": "true",
        "client_reference_id": client_reference_id,
        **{f"metadata[{key}]": value for key, value in metadata.items()},
    }
    try:
        response = requests.post(
            base_url.rstrip("/") + CREATE_PATH,
            data=data,
            headers={
                "Authorization": f"Bearer {secret_key}",
                "Idempotency-Key": idempotency_key,
                "User-Agent": "ProfileDesk-IDV/1",
            },
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.Timeout:
        raise ProviderUnavailable("timeout") from None
    except requests.RequestException as error:
        raise ProviderUnavailable(f"connection ({type(error).__name__})") from None
    with response:
        if response.status_code == 429 or response.status_code >= 500:
            raise ProviderUnavailable(f"http_{response.status_code}")
        body = _json(response)
        if response.status_code != 200:
            problem = body.get("error")
            if not isinstance(problem, dict):
                problem = {}
            code = _word(problem.get("code")) or _word(problem.get("type")) or "refused"
            raise ProviderRefused(f"http_{response.status_code}:{code}")
    session_id, url, status = body.get("id"), body.get("url"), body.get("status")
    if not (
        isinstance(session_id, str)
        and session_id.startswith("vs_")
        and len(session_id) <= 255
        and isinstance(url, str)
        and url.startswith("https://")
        and isinstance(status, str)
    ):
        # Not a session we can send: treat as an outage of the provider (it will be tried
        # again with the same idempotency key, so no second session is made).
        raise ProviderUnavailable("malformed_response")
    return Created(id=session_id, url=url, status=status)


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _word(value: Any) -> str:
    """A provider code kept only if it is a plain machine word (it is logged and audited)."""
    if isinstance(value, str) and 0 < len(value) <= 64 and value.replace("_", "").isalnum():
        return value
    return ""


def error_code(session: dict[str, Any]) -> str:
    """The session's last_error.code if it is one the reference lists; "other" for any
    other string (the provider may add codes), "" for none."""
    last_error = session.get("last_error")
    if not isinstance(last_error, dict):
        return ""
    code = last_error.get("code")
    if code is None:
        return ""
    return code if code in KNOWN_CODES else "other"


# --- webhook signatures ---------------------------------------------------------------


class SignatureError(Exception):
    """The webhook is not provably the provider's; `reason` is a short word for the audit."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ParsedSignature:
    timestamp: int
    v1: tuple[str, ...]


def signature_parse(header: str | None) -> ParsedSignature:
    """`t=<unix>,v1=<hex>,…` as Stripe writes it: several v1 (a secret being rolled) and
    other schemes (v0) may appear; exactly one t. Anything else raises SignatureError."""
    if not header:
        raise SignatureError("missing", "The Stripe-Signature header is missing.")
    if len(header) > MAX_HEADER_CHARS:
        raise SignatureError("malformed", "The Stripe-Signature header is too long.")
    timestamps: list[str] = []
    v1: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError("malformed", "The Stripe-Signature header is malformed.")
        if key == "t":
            timestamps.append(value)
        elif key == "v1":
            v1.append(value)
    if len(timestamps) != 1 or not (timestamps[0].isascii() and timestamps[0].isdigit()):
        raise SignatureError("malformed", "The Stripe-Signature header has no valid timestamp.")
    if len(timestamps[0]) > 12:
        raise SignatureError("malformed", "The Stripe-Signature timestamp is out of range.")
    if not v1:
        raise SignatureError("malformed", "The Stripe-Signature header has no v1 signature.")
    return ParsedSignature(timestamp=int(timestamps[0]), v1=tuple(v1))


def signature_for(*, secret: str, timestamp: int, payload: bytes) -> str:
    signed = str(timestamp).encode() + b"." + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_verify(
    *, payload: bytes, header: str | None, secret: str, now: float, tolerance: int
) -> int:
    """The event's timestamp if `header` signs `payload` with `secret` within `tolerance`
    seconds of `now`; SignatureError ("missing", "malformed", "mismatch", "stale")."""
    parsed = signature_parse(header)
    expected = signature_for(secret=secret, timestamp=parsed.timestamp, payload=payload)
    # Each candidate compared in constant time, and all of them: no early exit to time.
    matched = False
    for candidate in parsed.v1:
        matched |= hmac.compare_digest(expected.encode(), candidate.encode("utf-8", "replace"))
    if not matched:
        raise SignatureError("mismatch", "The signature does not match.")
    if abs(now - parsed.timestamp) > tolerance:
        raise SignatureError("stale", "The signature's timestamp is too old (or in the future).")
    return parsed.timestamp
