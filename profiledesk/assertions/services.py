"""Checking a client app's signed assertion and recording it as verification evidence.

An assertion is a JWT the client's app signs with a key the client registered
(`AppKey`): `iss` (the key's issuer), `aud` (the desk: setting ASSERTION_AUDIENCE), `sub`
(the customer number), `amr` (how the customer signed in, RFC 8176), `auth_time`, `iat`,
`exp` and a single-use `jti`. `assertion_verify` checks all of it and spends the `jti`;
`assertion_record` turns it into a passed `Attempt` (no staff) on the ticket and tells
the layers above once committed (`verification.signals.evidence_recorded`).

Call both inside the transaction that opens the ticket: a refusal then rolls back the
ticket, and a ticket that fails to open gives the `jti` back (a retry may use it).
"""

import datetime as dt
import re
from dataclasses import dataclass
from functools import partial
from typing import Any

import jwt
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from audit.services import audit_record
from profiledesk.accounts.models import User
from profiledesk.clients.models import Client
from profiledesk.tickets.models import State, Ticket
from profiledesk.tickets.states import transition
from verification.models import Attempt, Purpose, Result
from verification.signals import evidence_recorded
from verification.status import active_lock

from .models import Algorithm, AppKey, LevelPolicy, UsedAssertion
from .rules import DEFAULT_LEVELS, level_for, levels_clean, public_key_load, public_key_normalised

METHOD_CODE = "assertion"
TOKEN_MAX_LENGTH = 8192
JTI_MAX_LENGTH = 128
KID_MAX_LENGTH = 64  # AppKey.kid
ISSUER_MAX_LENGTH = 200  # AppKey.issuer
AMR_MAX_ITEMS = 10
# An RFC 8176 method name is a short token ("pwd", "otp", "hwk"); anything else (a NUL, a
# newline, a bidi override, markup) would only reach the timeline, history and exports.
AMR_VALUE = re.compile(r"[A-Za-z0-9_-]{1,32}", re.ASCII)
REQUIRED_CLAIMS = ["iss", "aud", "sub", "iat", "exp", "jti", "auth_time", "amr"]


class AssertionRefused(Exception):
    """The assertion is not accepted. `reason` is a stable code for the client's
    developers, the message says why in words (safe to send back: it never repeats the
    token). `status`: 401 when the signature or the key is the problem, else 400."""

    def __init__(self, reason: str, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status
        # The (unverified) header's alg and kid, for the audit event; never the token.
        self.header: dict[str, str] = {}


def _refuse(reason: str, message: str, *, status: int = 400) -> AssertionRefused:
    return AssertionRefused(reason, message, status=status)


@dataclass(frozen=True)
class VerifiedAssertion:
    client_id: int
    issuer: str
    kid: str
    jti: str
    subject: str
    amr: tuple[str, ...]
    auth_time: dt.datetime
    level: int


# --- settings, read when used ----------------------------------------------------------


def _seconds(name: str) -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, name)))


def _leeway() -> dt.timedelta:
    return _seconds("ASSERTION_LEEWAY_SECONDS")


def levels_of(client: Client) -> dict[str, int]:
    """The client's mapping from sign-in methods to a level (the default without one)."""
    policy = LevelPolicy.objects.filter(client=client).first()
    return dict(policy.levels) if policy is not None else dict(DEFAULT_LEVELS)


# --- checking --------------------------------------------------------------------------


def _printable(value: Any, max_length: int) -> bool:
    """A non-empty printable string that fits its column: what may reach a query (a NUL
    would be a database error, not a refusal)."""
    return isinstance(value, str) and 0 < len(value) <= max_length and value.isprintable()


def _header(token: str) -> dict[str, Any]:
    if not isinstance(token, str) or not token or len(token) > TOKEN_MAX_LENGTH:
        raise _refuse("malformed", _("The assertion is not a signed JWT."))
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise _refuse("malformed", _("The assertion is not a signed JWT.")) from None
    # `none`, HS256 (a shared secret: whoever holds it could forge assertions) and anything
    # but the asymmetric algorithms a key may be registered with are refused outright.
    if header.get("alg") not in Algorithm.values:
        raise _refuse(
            "algorithm_refused",
            _("Sign assertions with ES256, RS256 or EdDSA; no other algorithm is accepted."),
            status=401,
        )
    # A plain compact JWS only: no critical extension (RFC 7515 §4.1.11), no unencoded
    # payload (RFC 7797's b64). Keys named in the header (jwk, jku, x5u, x5c) are never
    # used: the key is the one the client registered.
    if "crit" in header or "b64" in header:
        raise _refuse("malformed", _("The assertion uses a header extension (crit, b64)."))
    if not _printable(header.get("kid"), KID_MAX_LENGTH):
        raise _refuse("unknown_key", _("The assertion's header names no key (kid)."), status=401)
    return header


def _key(*, client: Client, token: str, header: dict[str, Any]) -> AppKey:
    """The usable key of THIS client named by the (still unverified) `iss` and `kid`."""
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise _refuse("malformed", _("The assertion is not a signed JWT.")) from None
    issuer = unverified.get("iss")
    if "iss" not in unverified:
        raise _refuse("missing_claim", _("The assertion lacks the iss claim."))
    if not _printable(issuer, ISSUER_MAX_LENGTH):
        raise _refuse("invalid_claim", _("iss must be a string of at most 200 characters."))
    key = AppKey.objects.usable().filter(client=client, issuer=issuer, kid=header["kid"]).first()
    if key is None:
        raise _refuse(
            "unknown_key",
            _("No active key of your client has this issuer and key id (iss, kid)."),
            status=401,
        )
    if header["alg"] != key.algorithm:
        raise _refuse(
            "algorithm_refused",
            _("This key signs with %(alg)s only.") % {"alg": key.algorithm},
            status=401,
        )
    return key


_CLAIM_ERRORS: list[tuple[type[jwt.InvalidTokenError], str, Any, int]] = [
    (jwt.InvalidSignatureError, "bad_signature",
     _lazy("The assertion's signature is not valid."), 401),
    (jwt.ExpiredSignatureError, "expired", _lazy("The assertion has expired (exp)."), 400),
    (jwt.InvalidAudienceError, "wrong_audience",
     _lazy("The assertion is not meant for this desk (aud)."), 400),
    (jwt.InvalidIssuerError, "wrong_issuer",
     _lazy("The assertion's issuer is not the key's (iss)."), 400),
    (jwt.ImmatureSignatureError, "not_yet_valid",
     _lazy("The assertion is not valid yet (iat, nbf)."), 400),
]  # fmt: skip


def _claims(*, token: str, key: AppKey) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=public_key_load(key.public_key, key.algorithm),
            algorithms=[key.algorithm],  # only the key's: no algorithm confusion
            audience=settings.ASSERTION_AUDIENCE,
            issuer=key.issuer,
            leeway=_leeway(),
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.InvalidTokenError as error:
        for kind, reason, message, status in _CLAIM_ERRORS:
            if isinstance(error, kind):
                raise _refuse(reason, str(message), status=status) from None
        if isinstance(error, jwt.MissingRequiredClaimError):
            message = _("The assertion lacks the %(claim)s claim.") % {"claim": error.claim}
            raise _refuse("missing_claim", message) from None
        raise _refuse("invalid_claim", _("The assertion's claims are not valid.")) from None
    return claims


def _instant(value: Any, claim: str) -> dt.datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _refuse(
            "invalid_claim", _("%(claim)s must be a NumericDate (seconds).") % {"claim": claim}
        )
    try:
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise _refuse("invalid_claim", _("%(claim)s is out of range.") % {"claim": claim}) from None


def _times(claims: dict[str, Any], now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(auth_time, exp) once the assertion's times are within the desk's limits: minutes,
    not hours."""
    issued = _instant(claims["iat"], "iat")
    expires = _instant(claims["exp"], "exp")
    auth_time = _instant(claims["auth_time"], "auth_time")
    leeway = _leeway()
    if expires - issued > _seconds("ASSERTION_MAX_LIFETIME_SECONDS"):
        raise _refuse(
            "too_long_lived",
            _("The assertion lives longer than %(n)d seconds (exp - iat).")
            % {"n": settings.ASSERTION_MAX_LIFETIME_SECONDS},
        )
    if now - issued > _seconds("ASSERTION_MAX_AGE_SECONDS") + leeway:
        raise _refuse(
            "too_old",
            _("The assertion was issued more than %(n)d seconds ago (iat): sign a fresh one.")
            % {"n": settings.ASSERTION_MAX_AGE_SECONDS},
        )
    if auth_time > issued + leeway:
        raise _refuse("invalid_claim", _("auth_time is after the assertion was issued."))
    if now - auth_time > _seconds("ASSERTION_MAX_AUTH_AGE_SECONDS") + leeway:
        raise _refuse(
            "stale_sign_in",
            _("The customer signed in more than %(n)d seconds ago (auth_time).")
            % {"n": settings.ASSERTION_MAX_AUTH_AGE_SECONDS},
        )
    return auth_time, expires


def _amr(value: Any) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or not 0 < len(value) <= AMR_MAX_ITEMS
        or not all(isinstance(m, str) and AMR_VALUE.fullmatch(m) for m in value)
    ):
        raise _refuse(
            "invalid_claim", _('amr must list how the customer signed in, e.g. ["pwd", "otp"].')
        )
    return tuple(sorted(set(value)))


def _jti(value: Any) -> str:
    if (
        not isinstance(value, str)
        or not 0 < len(value) <= JTI_MAX_LENGTH
        or not value.isprintable()
    ):
        raise _refuse("invalid_claim", _("jti must be a unique string of at most 128 characters."))
    return value


def _header_hint(token: str) -> dict[str, str]:
    try:
        header = jwt.get_unverified_header(token)
    except (jwt.InvalidTokenError, TypeError, AttributeError):
        return {}
    return {"alg": str(header.get("alg", ""))[:16], "kid": str(header.get("kid", ""))[:64]}


def assertion_verify(
    *, client: Client, token: str, customer_number: str | None
) -> VerifiedAssertion:
    """The assertion, checked and its `jti` spent; AssertionRefused saying why not."""
    try:
        return _verify(client=client, token=token, customer_number=customer_number)
    except AssertionRefused as refusal:
        refusal.header = _header_hint(token)
        raise


@transaction.atomic
def _verify(*, client: Client, token: str, customer_number: str | None) -> VerifiedAssertion:
    header = _header(token)
    key = _key(client=client, token=token, header=header)
    claims = _claims(token=token, key=key)
    now = timezone.now()
    auth_time, expires = _times(claims, now)
    amr = _amr(claims["amr"])
    jti = _jti(claims["jti"])
    if customer_number is None:
        raise _refuse("no_customer", _("An assertion needs the request's customer."))
    if claims["sub"] != customer_number:
        raise _refuse("other_customer", _("The assertion is about another customer (sub)."))
    level = level_for(amr, levels_of(client))
    if level < 1:
        raise _refuse(
            "no_assurance",
            _("Your client's policy gives these sign-in methods (amr) no assurance level."),
        )
    try:
        with transaction.atomic():  # a savepoint: the outer transaction goes on
            UsedAssertion.objects.create(
                client=client, jti=jti, used_at=now, expires_at=expires + _leeway()
            )
    except IntegrityError:
        raise _refuse("replayed", _("This assertion was used before (jti).")) from None
    return VerifiedAssertion(
        client_id=client.pk,
        issuer=key.issuer,
        kid=key.kid,
        jti=jti,
        subject=customer_number,
        amr=amr,
        auth_time=auth_time,
        level=level,
    )


# --- recording -------------------------------------------------------------------------


@transaction.atomic
def assertion_record(*, ticket: Ticket, assertion: VerifiedAssertion) -> Attempt:
    """The assertion as a passed identity `Attempt` on `ticket` (no staff), the ticket
    moved from new to verifying by the desk itself, and `evidence_recorded` once committed."""
    locked = (
        Ticket.objects.select_for_update(of=("self",)).select_related("customer").get(pk=ticket.pk)
    )
    customer = locked.customer
    if (
        customer is None
        or locked.client_id != assertion.client_id
        or customer.number != assertion.subject
    ):
        raise _refuse("other_customer", _("The assertion is about another customer (sub)."))
    if active_lock(customer) is not None:
        raise _refuse(
            "customer_locked",
            _("Verification of this customer is locked after failed attempts; the desk will "
              "verify them."),
        )  # fmt: skip
    if locked.state == State.NEW:
        transition(ticket=locked, to=State.VERIFYING, by=None, service=True)
    elif locked.state != State.VERIFYING:
        raise _refuse("ticket_state", _("This ticket no longer takes verification evidence."))
    ticket.refresh_from_db(fields=["state"])  # the caller's copy sees the move
    detail = {
        "iss": assertion.issuer,
        "kid": assertion.kid,
        "jti": assertion.jti,
        "amr": list(assertion.amr),
        "auth_time": assertion.auth_time.isoformat(),
        "level": assertion.level,
    }
    attempt = Attempt.objects.create(
        ticket=locked,
        customer=customer,
        method=METHOD_CODE,
        purpose=Purpose.IDENTITY,
        result=Result.PASSED,
        staff=None,
        # The evidence is as old as the sign-in it vouches for: its validity on the ticket
        # (VERIFICATION_VALID_MINUTES) runs from then, not from when the request arrived.
        at=min(assertion.auth_time, timezone.now()),
        detail=detail,
    )
    audit_record(
        action="verification.assertion_passed",
        client=locked.client,
        target=locked,
        data={"reference": locked.reference, "attempt": attempt.pk, **detail},
    )
    transaction.on_commit(
        partial(
            evidence_recorded.send_robust,
            sender=Attempt,
            ticket_id=locked.pk,
            attempt_id=attempt.pk,
            method=METHOD_CODE,
        )
    )
    return attempt


def assertion_refusal_record(
    *,
    client: Client,
    refusal: AssertionRefused,
    api_key_prefix: str = "",
    request: HttpRequest | None = None,
) -> None:
    """Audit a refused assertion: the reason and what names the key, never the token."""
    audit_record(
        action="verification.assertion_refused",
        client=client,
        data={"reason": refusal.reason, **refusal.header, "api_key": api_key_prefix},
        request=request,
    )


# --- keys and policy (the admin's) -----------------------------------------------------


@transaction.atomic
def app_key_register(
    *,
    client: Client,
    issuer: str,
    kid: str,
    algorithm: str,
    public_key: str,
    by: User | None,
    request: HttpRequest | None = None,
) -> AppKey:
    """A client's new signing key (its public part only), audited."""
    key = AppKey.objects.create(
        client=client,
        issuer=issuer,
        kid=kid,
        algorithm=algorithm,
        public_key=public_key_normalised(public_key, algorithm),
        created_at=timezone.now(),
        created_by=by,
    )
    audit_record(
        action="assertion_key.registered",
        actor=by,
        client=client,
        target=key,
        data={"issuer": issuer, "kid": kid, "algorithm": algorithm},
        request=request,
    )
    return key


@transaction.atomic
def app_key_revoke(*, key: AppKey, by: User | None, request: HttpRequest | None = None) -> AppKey:
    """Revoked for good (a key is never deleted: evidence names it), audited once."""
    locked = AppKey.objects.select_for_update().get(pk=key.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.is_active = False
        locked.save(update_fields=["revoked_at", "is_active"])
        audit_record(
            action="assertion_key.revoked",
            actor=by,
            client=locked.client,
            target=locked,
            data={"issuer": locked.issuer, "kid": locked.kid},
            request=request,
        )
    return locked


@transaction.atomic
def level_policy_save(
    *, client: Client, levels: Any, by: User | None, request: HttpRequest | None = None
) -> LevelPolicy:
    cleaned = levels_clean(levels)
    policy, _created = LevelPolicy.objects.update_or_create(
        client=client, defaults={"levels": cleaned, "updated_at": timezone.now()}
    )
    audit_record(
        action="assertion_policy.changed",
        actor=by,
        client=client,
        target=policy,
        data={"levels": cleaned},
        request=request,
    )
    return policy


def used_assertions_purge(*, now: dt.datetime | None = None) -> int:
    """Forget the `jti`s of expired assertions (an expired one is refused anyway)."""
    deleted, _detail = UsedAssertion.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted
