"""Real keys, made in the test (cryptography), and assertions signed with them (PyJWT)."""

import json
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.conf import settings

from profiledesk.assertions.services import app_key_register

ISSUER = "https://app.northwind.example"


def private_key(algorithm: str):
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ed25519.Ed25519PrivateKey.generate()


def public_pem(key) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def claims_for(customer, **overrides) -> dict:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": settings.ASSERTION_AUDIENCE,
        "sub": customer.number,
        "amr": ["pwd", "otp"],
        "auth_time": now - 60,
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not ...}


def sign(claims: dict, key, *, algorithm: str = "ES256", kid: str = "k1", headers=None) -> str:
    """Any claims, of any JSON type, signed as given (PyJWT's encoder would refuse some)."""
    payload = json.dumps(claims, separators=(",", ":")).encode()
    return jwt.PyJWS().encode(
        payload, key, algorithm=algorithm, headers={"kid": kid, "typ": "JWT", **(headers or {})}
    )


class AppSigner:
    """A client's app: its private key, registered with the desk by its public part."""

    def __init__(self, client, *, algorithm="ES256", kid="k1", issuer=ISSUER):
        self.client, self.algorithm, self.kid, self.issuer = client, algorithm, kid, issuer
        self.key = private_key(algorithm)
        self.registered = app_key_register(
            client=client,
            issuer=issuer,
            kid=kid,
            algorithm=algorithm,
            public_key=public_pem(self.key),
            by=None,
        )

    def token(self, customer, **overrides) -> str:
        claims = claims_for(customer, **{"iss": self.issuer, **overrides})
        return sign(claims, self.key, algorithm=self.algorithm, kid=self.kid)
