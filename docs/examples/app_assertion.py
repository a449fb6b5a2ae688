"""How a client's app signs an assertion for ProfileDesk (docs/api.md).

Runs where your customer is signed in (your app's back end, never the phone: the private
key must not leave your servers). Needs PyJWT with cryptography: `pip install pyjwt[crypto]`.
"""

import time
import uuid

import jwt


def sign_assertion(
    private_key_pem: str,
    *,
    issuer: str,  # the issuer you registered with the desk, e.g. https://app.example.com
    kid: str,  # the key id you registered
    audience: str,  # the desk's audience (ask the desk; its ASSERTION_AUDIENCE)
    customer_number: str,  # the customer's number with the desk, as in the request
    amr: list[str],  # how they signed in, RFC 8176: ["pwd", "otp"], ["hwk"], ...
    auth_time: int,  # when they signed in (seconds since the epoch)
    algorithm: str = "ES256",  # ES256, RS256 or EdDSA, as registered
    lifetime: int = 120,  # seconds; the desk refuses more than 600
) -> str:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": customer_number,
        "amr": amr,
        "auth_time": auth_time,
        "iat": now,
        "exp": now + lifetime,
        "jti": str(uuid.uuid4()),  # new for every assertion: the desk accepts each once
    }
    return jwt.encode(claims, private_key_pem, algorithm=algorithm, headers={"kid": kid})


# Then, in the change request's body, beside the change:
#   {"customer": "NWE-0001234", "category": "contact", "changes": {...},
#    "assertion": sign_assertion(...)}
# sent with your API key and an Idempotency-Key. A retry of that request sends the same
# body (the same assertion) with the same Idempotency-Key: it is answered with the first
# ticket, not refused as a replay. A new request needs a new assertion.
