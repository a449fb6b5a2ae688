"""Writes of the customer portal (issue 17): sign in with a one-time code, keep and end a
portal session, make a change, report "this wasn't me".

Sign-in follows the wizard's rules (verification.services: the code, its hash, 10 minutes,
single use, 5 wrong tries each, 3 codes a contact an hour, 60 s between two) and shares its
lock-out: a wrong code of a customer on file is a failure counted with the desk's
(verification.status.failures_since), and a lock written by either side stops both.

No enumeration: whether or not the contact typed is a verified contact on file, the same
rows are written (a SignInCode, a PortalSession), the same hash is computed, the same
answer and status are given, and the same limits apply (counted by a digest of what was
typed, not by the contact row). Only a real contact receives a code.

A change goes through the desk's own steps: `intake.capture.drafts_for` and
`tickets.services.ticket_create` (channel web), the sign-in recorded as verification
evidence on the ticket; where the client's policy opens the category to self-service the
desk itself (by=None) verifies it (`verification_complete`) and applies it
(`apply.services.ticket_apply`, history reason "self-service"), so propagation and
confirmations with the "this wasn't me" link follow as for any change.
"""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import phonenumbers
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from audit.services import audit_record
from profiledesk.apply.services import ApplyError, ticket_apply
from profiledesk.clients.models import Client
from profiledesk.confirmations.models import ReportLink
from profiledesk.confirmations.services import report_link_use
from profiledesk.customers.models import Customer, EmailAddress, PhoneNumber
from profiledesk.intake.capture import drafts_for
from profiledesk.messaging.rendering import message_render
from profiledesk.messaging.services import message_queue
from profiledesk.policies.defaults import policy_for
from profiledesk.privacy.masking import mask_email, mask_phone
from profiledesk.tickets.models import State, Ticket, TicketEvent
from profiledesk.tickets.services import ticket_create
from profiledesk.tickets.states import TransitionError, transition
from verification.models import Attempt, Lock, Method, OtpChallenge, Purpose, Result
from verification.services import (
    CODE_DIGITS,
    CODE_MAX_WRONG_TRIES,
    CODE_VALIDITY,
    CODES_PER_HOUR,
    HOUR,
    RESEND_AFTER,
    code_hash,
    code_matches,
    verification_complete,
)
from verification.status import active_lock, failures_since, validity

from .models import PortalSession, SignInCode, SignInFailure

# The portal's cookie: its own name and path, never the staff session's.
PORTAL_COOKIE = "pd_portal"
PORTAL_COOKIE_PATH = "/portal/"
IDLE_TIMEOUT = dt.timedelta(minutes=15)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=1)
# Sign-in codes asked for from one address an hour, whatever the contacts typed.
CODES_PER_ADDRESS_HOUR = 10
_DIGEST_SALT = "portal.limits"
SELF_SERVICE_REASON = "self-service"


class PortalError(Exception):
    """Refused with nothing written; the message is safe to show the customer."""


@dataclass(frozen=True)
class Started:
    session: PortalSession
    key: str  # the cookie's value (only its hash is stored)


@dataclass(frozen=True)
class Checked:
    passed: bool
    message: str
    key: str = ""  # the new session's cookie value when passed (a new key: no fixation)
    session: PortalSession | None = None


def _digest(text: str) -> str:
    return salted_hmac(_DIGEST_SALT, text, algorithm="sha256").hexdigest()


def key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_key() -> str:
    return secrets.token_urlsafe(32)


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def contact_normalise(*, client: Client, contact: str) -> str:
    """An e-mail lower-cased, or a phone number as E.164 read in the client's country;
    otherwise the text as typed (it matches nothing)."""
    text = " ".join((contact or "").split())
    if "@" in text:
        return text.lower()
    try:
        parsed = phonenumbers.parse(text, (client.country or "").upper() or None)
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_possible_number(parsed):
        return text
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _contact_on_file(client: Client, contact: str) -> EmailAddress | PhoneNumber | None:
    """The verified e-mail or phone of a customer of `client`, or None (an unverified
    contact gets nothing: it proves nothing)."""
    if "@" in contact:
        return (
            EmailAddress.objects.filter(
                customer__client=client, email=contact, verified_at__isnull=False
            )
            .select_related("customer")
            .first()
        )
    return (
        PhoneNumber.objects.filter(
            customer__client=client, number=contact, verified_at__isnull=False
        )
        .select_related("customer")
        .first()
    )


# --- sign-in ----------------------------------------------------------------------------


@transaction.atomic
def signin_start(*, client: Client, contact: str, ip: str, language: str = "en") -> Started:
    """Send a sign-in code to `contact` if it is a verified contact of a customer of
    `client`; either way start a portal session waiting for a code. PortalError (nothing
    written) when the typed contact or the address asked for too many codes."""
    now = timezone.now()
    normalised = contact_normalise(client=client, contact=contact)
    contact_digest = _digest(f"{client.pk}:{normalised}")
    ip_digest = _digest(ip or "-")
    recent = list(
        SignInCode.objects.filter(contact_digest=contact_digest, created_at__gt=now - HOUR)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:CODES_PER_HOUR]
    )
    if recent and now - recent[0] < RESEND_AFTER:
        raise PortalError(_("A code was asked for less than a minute ago. Wait a minute."))
    if len(recent) >= CODES_PER_HOUR:
        raise PortalError(_("Three codes were asked for in the last hour. Try again later."))
    from_address = SignInCode.objects.filter(ip_digest=ip_digest, created_at__gt=now - HOUR)
    if from_address.count() >= CODES_PER_ADDRESS_HOUR:
        raise PortalError(_("Too many codes were asked for from here. Try again later."))

    row = _contact_on_file(client, normalised)
    customer = row.customer if row is not None else None
    if (
        customer is not None
        and row is not None
        and not _may_send(customer=customer, row=row, now=now)
    ):
        customer, row = None, None  # locked out, or the desk's limit: nothing goes
    code = _new_code()
    stored = code_hash(code)  # computed whether or not it is sent: the same work
    challenge = SignInCode.objects.create(
        client=client,
        customer=customer,
        email=row if isinstance(row, EmailAddress) else None,
        phone=row if isinstance(row, PhoneNumber) else None,
        contact_digest=contact_digest,
        ip_digest=ip_digest,
        sent_to=_masked(row),
        channel="email" if isinstance(row, EmailAddress) else "sms" if row else "",
        code_hash=stored,
        created_at=now,
        expires_at=now + CODE_VALIDITY,
    )
    minutes = int(CODE_VALIDITY.total_seconds() // 60)
    context = {"code": code, "valid_minutes": minutes, "client_name": client.name}
    if customer is not None and row is not None:
        message_queue(
            client=client,
            channel=challenge.channel,
            to=row.email if isinstance(row, EmailAddress) else row.number,
            template="portal_code",
            context=context,
            language=language,
            idempotency_key=f"portal-code-{challenge.pk}",
            customer=customer,
            secret_keys=("code",),
        )
    else:
        # The message is rendered all the same (not sent, not kept): closer to the same work.
        message_render(
            client_slug=client.slug, template="portal_code", language=language, context=context
        )
    audit_record(
        action="portal.code_requested",
        client=client,
        target=customer,
        data={"code": challenge.pk, "sent": customer is not None, "to": challenge.sent_to},
    )
    raw = _new_key()
    session = PortalSession.objects.create(
        key_hash=key_hash(raw), client=client, code=challenge, created_at=now, last_seen_at=now
    )
    return Started(session=session, key=raw)


def _may_send(*, customer: Customer, row: EmailAddress | PhoneNumber, now: dt.datetime) -> bool:
    """Not locked out, and the desk has not used up this contact's codes this hour (the
    wizard's limit per destination holds across both)."""
    if active_lock(customer, now) is not None:
        return False
    destination = f"{'email' if isinstance(row, EmailAddress) else 'phone'}:{row.pk}"
    desk = OtpChallenge.objects.filter(destination=destination, created_at__gt=now - HOUR)
    portal = SignInCode.objects.filter(
        email=row if isinstance(row, EmailAddress) else None,
        phone=row if isinstance(row, PhoneNumber) else None,
        created_at__gt=now - HOUR,
    )
    return desk.count() + portal.count() < CODES_PER_HOUR


def _masked(row: EmailAddress | PhoneNumber | None) -> str:
    if isinstance(row, EmailAddress):
        return mask_email(row.email)
    if isinstance(row, PhoneNumber):
        return mask_phone(row.number)
    return ""


_WRONG = gettext_noop("That code is not right. Check it and try again.")
_LOCKED = gettext_noop(
    "Too many wrong codes: signing in is paused for a while. Try again later, or call us."
)


def _dummy_failures(code: SignInCode, now: dt.datetime) -> int:
    """Wrong tries for a code that went nowhere (a contact not on file, or a customer locked
    out), counted by the contact typed as a customer's would be: the answer after the third
    is the same as a real customer's lock-out, and stays so for a locked one."""
    window = now - dt.timedelta(hours=settings.VERIFICATION_FAILURE_WINDOW_HOURS)
    rows = SignInCode.objects.filter(contact_digest=code.contact_digest, created_at__gte=window)
    return sum(rows.values_list("wrong_tries", flat=True))


@transaction.atomic
def signin_check(*, session: PortalSession, code: str) -> Checked:
    """Check the code typed for the session's sign-in. Passed: the waiting session ends
    and a new one (a new key) is signed in. PortalError when the code cannot be tried."""
    now = timezone.now()
    waiting = PortalSession.objects.select_for_update().get(pk=session.pk)
    if waiting.ended_at is not None or waiting.customer_id is not None or waiting.code_id is None:
        raise PortalError(_("Ask for a new code."))
    challenge = SignInCode.objects.select_for_update().get(pk=waiting.code_id)
    customer = challenge.customer
    if customer is not None:
        # One customer's checks are serialised: the failure count must not be raced past.
        Customer.objects.select_for_update().filter(pk=customer.pk).exists()
    limit = settings.VERIFICATION_LOCK_AFTER_FAILURES
    if customer is not None and active_lock(customer, now) is not None:
        raise PortalError(_(_LOCKED))
    if customer is None and _dummy_failures(challenge, now) >= limit:
        raise PortalError(_(_LOCKED))
    if challenge.used_at is not None:
        raise PortalError(_("That code has been used already. Ask for a new one."))
    if now >= challenge.expires_at:
        raise PortalError(_("That code has expired (codes last 10 minutes). Ask for a new one."))
    if challenge.wrong_tries >= CODE_MAX_WRONG_TRIES:
        raise PortalError(_("Too many wrong tries for that code. Ask for a new one."))
    typed = "".join((code or "").split())
    if len(typed) != CODE_DIGITS or not typed.isdigit():
        raise PortalError(_("A code is 6 digits."))
    matches = code_matches(typed, challenge.code_hash)
    if matches and customer is not None:
        challenge.used_at = now
        challenge.save(update_fields=["used_at"])
        waiting.ended_at = now
        waiting.save(update_fields=["ended_at"])
        raw = _new_key()
        signed_in = PortalSession.objects.create(
            key_hash=key_hash(raw),
            client=challenge.client,
            customer=customer,
            code=challenge,
            created_at=now,
            signed_in_at=now,
            last_seen_at=now,
        )
        audit_record(
            action="portal.signed_in",
            client=challenge.client,
            target=customer,
            data={"code": challenge.pk, "channel": challenge.channel, "to": challenge.sent_to},
        )
        return Checked(True, "", key=raw, session=signed_in)
    challenge.wrong_tries += 1
    challenge.save(update_fields=["wrong_tries"])
    if customer is None:
        locked = _dummy_failures(challenge, now) >= limit
        return Checked(False, _(_LOCKED) if locked else _(_WRONG))
    SignInFailure.objects.create(customer=customer, code=challenge, at=now)
    audit_record(
        action="portal.code_failed",
        client=challenge.client,
        target=customer,
        data={"code": challenge.pk, "wrong_tries": challenge.wrong_tries},
    )
    if failures_since(customer, Method.OTP, now) >= limit:
        lock = Lock.objects.create(
            customer=customer,
            created_at=now,
            locked_until=now + dt.timedelta(minutes=settings.VERIFICATION_LOCK_MINUTES),
            reason=f"{limit} failed one-time codes, the last on the customer portal",
        )
        audit_record(
            action="verification.locked",
            client=challenge.client,
            target=customer,
            data={
                "method": Method.OTP,
                "portal": True,
                "locked_until": lock.locked_until.isoformat(),
            },
        )
        return Checked(False, _(_LOCKED))
    return Checked(False, _(_WRONG))


def failed_sign_ins(customer_id: int, method: str, since: dt.datetime) -> int:
    """verification's failure counter (registered in apps.py): wrong portal codes."""
    if method != Method.OTP:
        return 0
    return SignInFailure.objects.filter(customer_id=customer_id, at__gte=since).count()


# --- sessions ---------------------------------------------------------------------------


def session_find(*, key: str, client: Client) -> PortalSession | None:
    """The live session the cookie's `key` names for `client`, touched; None if there is
    none, it belongs to another client, or it has been idle 15 minutes or open an hour
    (then it is ended)."""
    if not key:
        return None
    session = (
        PortalSession.objects.select_related("customer", "client", "code")
        .filter(key_hash=key_hash(key), ended_at__isnull=True)
        .first()
    )
    if session is None or session.client_id != client.pk:
        return None
    now = timezone.now()
    if now - session.last_seen_at >= IDLE_TIMEOUT or now - session.created_at >= ABSOLUTE_TIMEOUT:
        session_end(session=session)
        return None
    session.last_seen_at = now
    session.save(update_fields=["last_seen_at"])
    return session


def session_end(*, session: PortalSession) -> None:
    if session.ended_at is None:
        session.ended_at = timezone.now()
        session.save(update_fields=["ended_at"])
        if session.customer_id is not None:
            audit_record(
                action="portal.signed_out",
                client=session.client,
                target=session.customer,
                data={"session": session.pk},
            )


# --- changes ------------------------------------------------------------------------------


def _customer(session: PortalSession) -> Customer:
    if session.customer is None or session.ended_at is not None:
        raise PortalError(_("Sign in first."))
    return session.customer


def proof_valid_until(session: PortalSession) -> dt.datetime | None:
    """When the sign-in stops counting as proof of identity (the wizard's 30 minutes)."""
    if session.signed_in_at is None:
        return None
    return session.signed_in_at + validity()


def _evidence(*, ticket: Ticket, session: PortalSession, customer: Customer) -> None:
    """The sign-in as a verification attempt on the ticket: a passed one-time code to a
    verified contact on file (AL1), valid for the wizard's 30 minutes from sign-in."""
    assert session.signed_in_at is not None and session.code is not None
    until = proof_valid_until(session)
    assert until is not None
    Attempt.objects.create(
        ticket=ticket,
        customer=customer,
        method=Method.OTP,
        purpose=Purpose.IDENTITY,
        result=Result.PASSED,
        staff=None,
        at=session.signed_in_at,
        detail={
            "portal": True,
            "portal_code": session.code.pk,
            "channel": session.code.channel,
            "to": session.code.sent_to,
            "proves": "control of a verified contact on file (AL1)",
            "valid_until": until.isoformat(),
        },
    )
    TicketEvent.objects.create(
        ticket=ticket,
        at=timezone.now(),
        kind=TicketEvent.Kind.NOTE,
        message=(
            f"Asked on the customer portal, signed in with a one-time code to "
            f"{session.code.sent_to} at {timezone.localtime(session.signed_in_at):%H:%M}: "
            f"proves control of that verified contact (AL1) until "
            f"{timezone.localtime(until):%H:%M}."
        ),
    )


def is_self_service(*, client: Client, category: str) -> bool:
    return policy_for(client=client, category=category).self_service


@dataclass(frozen=True)
class Submitted:
    ticket: Ticket
    applied: bool


def change_submit(
    *, session: PortalSession, category: str, cleaned_data: dict[str, Any]
) -> Submitted:
    """The customer's change as a ticket on channel web with their sign-in as evidence;
    applied at once by the desk itself where the policy opens the category to
    self-service and nothing holds it back (else it waits in the desk's queue).
    ValidationError from capture (for the form); PortalError when the sign-in is too old
    to prove anything for a direct change."""
    customer = _customer(session)
    self_service = is_self_service(client=customer.client, category=category)
    until = proof_valid_until(session)
    if self_service and (until is None or until <= timezone.now()):
        raise PortalError(_("For your security, sign in again to make this change."))
    with transaction.atomic():
        drafts = drafts_for(category=category, cleaned_data=cleaned_data, customer=customer)
        ticket = ticket_create(
            client=customer.client,
            channel="web",
            category=category,
            items=drafts,
            by=None,
            customer=customer,
            summary="Asked for on the customer portal",
        )
        _evidence(ticket=ticket, session=session, customer=customer)
        audit_record(
            action="portal.change_requested",
            client=customer.client,
            target=ticket,
            data={"reference": ticket.reference, "category": category},
        )
    if not self_service:
        return Submitted(ticket=ticket, applied=False)
    try:
        with transaction.atomic():
            # The desk itself (by=None) makes the moves, each checked by its own step.
            transition(ticket=ticket, to=State.VERIFYING, by=None, service=True)
            verification_complete(ticket=ticket, by=None)
            ticket_apply(ticket=ticket, by=None, history_reason=SELF_SERVICE_REASON)
    except (ApplyError, TransitionError):
        # Held back (risk, a freeze, a cooling-off…): it stays a request for the desk.
        ticket.refresh_from_db()
        return Submitted(ticket=ticket, applied=False)
    ticket.refresh_from_db()
    return Submitted(ticket=ticket, applied=True)


def report_not_me(*, session: PortalSession, link: ReportLink) -> ReportLink:
    """The customer's "this wasn't me" for a change confirmed to them: the same as the
    link in the message (confirmations.services.report_link_use)."""
    customer = _customer(session)
    if link.ticket.customer_id != customer.pk:
        raise PortalError(_("That change is not on your profile."))
    return report_link_use(link_id=link.pk)


# --- retention ----------------------------------------------------------------------------

# Sign-in rows (digests of the contacts typed and of addresses, wrong tries) and ended
# sessions are kept a week: long enough for the limits and the lock-out window (24 h) and
# to look into an incident beside the audit log, which keeps every sign-in event.
RETENTION = dt.timedelta(days=7)


@transaction.atomic
def portal_purge(*, now: dt.datetime | None = None) -> int:
    """Delete sign-in codes, failures and sessions older than RETENTION; how many rows."""
    before = (now or timezone.now()) - RETENTION
    deleted = 0
    deleted += PortalSession.objects.filter(last_seen_at__lt=before).delete()[0]
    deleted += SignInFailure.objects.filter(at__lt=before).delete()[0]
    deleted += SignInCode.objects.filter(created_at__lt=before).delete()[0]
    return deleted
