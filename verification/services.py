"""Writes of identity verification (docs/design.md §4): send and check codes, check security
answers, record document checks, lock a customer out, reveal what the change needs.

Every service is keyword-only and atomic, locks the ticket row first (two agents on one
ticket give one result each, in order) and refuses with `VerificationError` — a message
safe to show — when nothing was written. A wrong code or wrong answers are not errors: the
failure is evidence and is kept, so they return an `Outcome` instead of raising (raising
would roll the failure back, and a brute force would leave no trace).

Codes: 6 digits from `secrets`, valid 10 minutes, single use, at most 5 wrong tries each,
at most 3 a destination an hour, a new one only 60 s after the last. They are sent
through messaging's outbox (`message_queue`, Celery after commit, the code kept encrypted
there as a secret) and stored here only as a salted HMAC. Failures count per customer and
method, across all the customer's tickets, within `VERIFICATION_FAILURE_WINDOW_HOURS`
(24) and since the customer's last lock-out, whatever the number of codes sent or tickets
opened, so neither a resend nor a new ticket resets them: the third failed code (or wrong
round of questions) locks the customer.
"""

import datetime as dt
import hmac
import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import CharField, F, Value
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from audit.services import audit_record
from profiledesk.accounts.models import User
from profiledesk.customers.models import Customer, EmailAddress, PhoneNumber, as_section
from profiledesk.files import deleted_on_failure
from profiledesk.intake.fields import resolve_field
from profiledesk.messaging.models import Message
from profiledesk.messaging.services import message_queue
from profiledesk.policies.services import risk_refresh
from profiledesk.policies.sla import sla_pause, sla_resume
from profiledesk.privacy.masking import display, mask_email, mask_phone
from profiledesk.tickets.claims import claim_problem
from profiledesk.tickets.memo import memoized
from profiledesk.tickets.models import ChangeItem, State, Ticket
from profiledesk.tickets.states import TransitionError, transition
from profiledesk.vault.cards import redact_card_numbers

from .answers import answer_matches
from .documents import Decoded, DocumentInvalid, document_decode
from .models import (
    Attempt,
    DocumentCheck,
    Lock,
    Method,
    OtpChallenge,
    OtpChannel,
    Purpose,
    Result,
)
from .status import (
    NEW_CONTACT_FIELDS,
    achieved_level,
    active_lock,
    contact_items,
    failures_since,
    progress,
    verification_missing,
    withheld_contacts,
)

logger = logging.getLogger(__name__)

CODE_DIGITS = 6
CODE_VALIDITY = dt.timedelta(minutes=10)
CODE_MAX_WRONG_TRIES = 5
CODES_PER_HOUR = 3
RESEND_AFTER = dt.timedelta(seconds=60)
HOUR = dt.timedelta(hours=1)
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT_EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
_HMAC_SALT = "verification.otp"


class VerificationError(Exception):
    """A request refused with nothing written; the message is safe to show."""


class DocumentRefused(VerificationError):
    """The uploaded file is not a usable identity document (its field's error)."""


@dataclass(frozen=True)
class Outcome:
    passed: bool
    message: str
    locked: bool = False


@dataclass(frozen=True)
class Contact:
    """A destination the wizard offers: a verified contact on file, or a new value."""

    key: str  # "email:12", "phone:7", "item:34"
    channel: str
    masked: str
    purpose: str
    withheld: str = ""  # why it may not receive an identity code now (shown greyed)


# --- codes ----------------------------------------------------------------------------


def code_hash(code: str, *, salt: str | None = None, secret: str | None = None) -> str:
    """A salted HMAC (keyed with SECRET_KEY) of the code: "<salt>$<hex>"."""
    salt = salt or secrets.token_hex(8)
    digest = salted_hmac(_HMAC_SALT, f"{salt}:{code}", secret=secret, algorithm="sha256")
    return f"{salt}${digest.hexdigest()}"


def code_matches(code: str, stored: str) -> bool:
    salt, _sep, _digest = stored.partition("$")
    # A code sent just before a SECRET_KEY rotation still matches through the fallbacks.
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return any(hmac.compare_digest(code_hash(code, salt=salt, secret=key), stored) for key in keys)


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _message_queue() -> Callable[..., Message]:
    """messaging's entry point (looked up at call time: tests replace it)."""
    return message_queue


# --- destinations -----------------------------------------------------------------------


def identity_destinations(ticket: Ticket) -> list[Contact]:
    """Verified e-mails and phones on file, as the wizard lists them: never a value the
    ticket asks for; a contact withheld for this ticket (status.withheld_contacts: being
    changed, or changed within the cooling-off period) is listed with the reason and
    cannot be chosen. On the ticket page (page_memo) worked out once a request (the
    code step and the identity provider's link both list them); a service's own locked
    instance reads afresh."""
    return memoized(ticket, "verification.destinations", lambda: _destinations(ticket))


def _destinations(ticket: Ticket) -> list[Contact]:
    if ticket.customer_id is None:
        return []
    requested = {item.new_value.strip().lower() for item in ticket.items.all() if item.new_value}
    withheld = withheld_contacts(ticket)
    # The e-mails and phones in one read, e-mails first, each in the order it was added.
    verified = [
        model.objects.filter(customer_id=ticket.customer_id, verified_at__isnull=False)
        .order_by()
        .annotate(destination=Value(kind, output_field=CharField()), value=F(column))
        .values_list("destination", "pk", "value")
        for model, kind, column in (
            (EmailAddress, "email", "email"),
            (PhoneNumber, "phone", "number"),
        )
    ]
    contacts = []
    for kind, pk, value in verified[0].union(verified[1], all=True).order_by("destination", "pk"):
        if value.lower() in requested:
            continue
        if kind == "email":
            channel, masked, rows = OtpChannel.EMAIL, mask_email(value), "emailaddress"
        else:
            channel, masked, rows = OtpChannel.SMS, mask_phone(value), "phonenumber"
        contacts.append(
            Contact(f"{kind}:{pk}", channel, masked, Purpose.IDENTITY, withheld[rows].get(pk, ""))
        )
    return contacts


def identity_contacts(ticket: Ticket) -> list[Contact]:
    """The destinations that may receive an identity code for this ticket now."""
    return [contact for contact in identity_destinations(ticket) if not contact.withheld]


def new_contacts(ticket: Ticket) -> list[Contact]:
    """The new e-mails and phones of a contact change, each to be proven by its own code."""
    result = []
    for item in contact_items(ticket):
        channel = NEW_CONTACT_FIELDS[item.field]
        masked = mask_email(item.new_value) if channel == "email" else mask_phone(item.new_value)
        result.append(Contact(f"item:{item.pk}", channel, masked, Purpose.NEW_CONTACT))
    return result


def _destination(ticket: Ticket, key: str) -> tuple[Contact, dict[str, Any]]:
    """The contact `key` names, if the ticket may send to it, and the challenge fields."""
    listed = {c.key: c for c in identity_destinations(ticket) + new_contacts(ticket)}
    contact = listed.get(key)
    if contact is None:
        raise VerificationError(
            _("Codes go only to a verified contact on file, or to the new contact being proven.")
        )
    if contact.withheld:
        # A crafted POST naming a contact the wizard shows greyed.
        raise VerificationError(
            _("No identity code goes to %(contact)s: %(reason)s.")
            % {"contact": contact.masked, "reason": contact.withheld}
        )
    kind, _sep, pk = key.partition(":")
    if kind == "email":
        email = EmailAddress.objects.get(pk=pk)
        return contact, {"email": email, "to": email.email, "destination": key}
    if kind == "phone":
        phone = PhoneNumber.objects.get(pk=pk)
        return contact, {"phone": phone, "to": phone.number, "destination": key}
    item = ticket.items.get(pk=pk)
    value = item.new_value.strip()
    return contact, {
        "change_item": item,
        "new_value": value,
        "to": value,
        "destination": f"new:{value.lower()}",
    }


# --- shared steps ------------------------------------------------------------------------


def _locked_ticket(ticket: Ticket, staff: User) -> Ticket:
    """The ticket, locked, if `staff` may run a wizard step on it now: claimed by them
    (tickets.claims, under the lock), matched to a customer, verifying."""
    locked = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("client", "customer")
        .get(pk=ticket.pk)
    )
    problem = claim_problem(locked, staff)
    if problem:
        raise VerificationError(problem)
    if locked.customer_id is None:
        raise VerificationError(_("Match the request to a customer first."))
    # Verification of one customer is serialised: failures and code limits count across
    # their tickets, and two agents at once must not both slip under a limit.
    Customer.objects.select_for_update().filter(pk=locked.customer_id).exists()
    if locked.state != State.VERIFYING:
        raise VerificationError(_("Start verification on the ticket first."))
    return locked


def _customer(ticket: Ticket) -> Customer:
    """The customer of a ticket from _locked_ticket (which refuses one without)."""
    assert ticket.customer is not None
    return ticket.customer


def _refuse_if_locked(ticket: Ticket, now: dt.datetime) -> None:
    lock = active_lock(ticket.customer, now)
    if lock is not None:
        raise VerificationError(_locked_message(lock))


def _locked_message(lock: Lock) -> str:
    return _(
        "Verification is locked for this customer until %(until)s after too many failed "
        "attempts. Do not verify by any other means; the ticket's risk has been raised."
    ) % {"until": timezone.localtime(lock.locked_until).strftime("%H:%M")}


def _audit(
    action: str,
    *,
    ticket: Ticket,
    staff: User,
    data: dict[str, Any],
    request: HttpRequest | None = None,
) -> None:
    audit_record(
        action=action,
        actor=staff,
        client=ticket.client,
        target=ticket,
        data={"ticket": ticket.reference, **data},
        request=request,
    )


def _failed(
    *,
    ticket: Ticket,
    staff: User,
    method: str,
    now: dt.datetime,
    request: HttpRequest | None = None,
) -> Lock | None:
    """After a failure is recorded: lock the customer if that made too many."""
    # Counted per customer across all their tickets (an impostor opens a new ticket for
    # every guess), within VERIFICATION_FAILURE_WINDOW_HOURS and since the end of their
    # last lock-out. Settings are read here, not at import, so an override takes effect.
    # The portal's failed sign-in codes count too (status.failures_since).
    limit = settings.VERIFICATION_LOCK_AFTER_FAILURES
    if failures_since(_customer(ticket), method, now) < limit:
        return None
    reason = _(
        "%(count)d failed attempts (%(method)s) for the customer, the last on %(ticket)s"
    ) % {
        "count": limit,
        "method": Method(method).label,
        "ticket": ticket.reference,
    }
    lock = Lock.objects.create(
        customer=_customer(ticket),
        ticket=ticket,
        created_at=now,
        locked_until=now + dt.timedelta(minutes=settings.VERIFICATION_LOCK_MINUTES),
        reason=str(reason)[:200],
    )
    _audit(
        "verification.locked",
        ticket=ticket,
        staff=staff,
        data={"method": method, "locked_until": lock.locked_until.isoformat()},
        request=request,
    )
    logger.warning("verification locked for customer %s on %s", ticket.customer_id, ticket)
    # The ticket fails verification (a risk signal of its own) and is re-scored.
    try:
        transition(ticket=ticket, to=State.VERIFICATION_FAILED, by=staff, reason=str(reason))
    except TransitionError:
        logger.warning("could not move %s to verification_failed after a lock-out", ticket)
    risk_refresh(ticket=ticket)
    sla_resume(ticket=ticket)
    return lock


# --- verified --------------------------------------------------------------------------------


@transaction.atomic
def verification_complete(*, ticket: Ticket, by: User | None) -> Ticket:
    """Mark a verifying ticket verified (verifying -> ready, "Mark verified") once the
    wizard has reached the policy's level or a compliance waiver stands; raise
    TransitionError saying what is missing. The rule is checked here, under the row lock.
    `by` None: the desk itself (the customer portal's self-service, proven by its sign-in)."""
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    problem = claim_problem(locked, by)
    if problem:
        raise TransitionError(problem)
    if locked.state == State.VERIFYING:
        problem = verification_missing(locked)
        if problem:
            raise TransitionError(problem)
    # Another state: the state machine says which moves it has.
    transition(ticket=locked, to=State.READY, by=by, service=True)
    ticket.state, ticket.updated_at = locked.state, locked.updated_at
    return locked


# --- OTP -----------------------------------------------------------------------------------


@transaction.atomic
def otp_send(
    *, ticket: Ticket, staff: User, contact_key: str, request: HttpRequest | None = None
) -> OtpChallenge:
    """Send a new code to `contact_key` (from identity_contacts / new_contacts)."""
    now = timezone.now()
    ticket = _locked_ticket(ticket, staff)
    _refuse_if_locked(ticket, now)
    contact, fields = _destination(ticket, contact_key)
    to = fields.pop("to")
    recent = OtpChallenge.objects.filter(
        destination=fields["destination"], created_at__gt=now - HOUR
    ).order_by("-created_at")
    recent_times = list(recent.values_list("created_at", flat=True)[:CODES_PER_HOUR])
    if recent_times and now - recent_times[0] < RESEND_AFTER:
        wait = RESEND_AFTER - (now - recent_times[0])
        raise VerificationError(
            _("A code was sent less than a minute ago. Wait %(seconds)d s before sending another.")
            % {"seconds": max(1, int(wait.total_seconds() + 0.999))}
        )
    if len(recent_times) >= CODES_PER_HOUR:
        next_at = recent_times[-1] + HOUR
        raise VerificationError(
            _("Three codes went to this contact in the last hour; the next one can go at %(at)s.")
            % {"at": timezone.localtime(next_at).strftime("%H:%M")}
        )
    code = _new_code()
    challenge = OtpChallenge.objects.create(
        ticket=ticket,
        customer=_customer(ticket),
        purpose=contact.purpose,
        channel=contact.channel,
        code_hash=code_hash(code),
        sent_by=staff,
        created_at=now,
        expires_at=now + CODE_VALIDITY,
        **fields,
    )
    language = getattr(getattr(ticket.customer, "language_region", None), "language", "") or "en"
    _message_queue()(
        client=ticket.client,
        channel=contact.channel,
        to=to,
        template="otp",
        context={
            "code": code,
            "minutes": int(CODE_VALIDITY.total_seconds() // 60),
            # messaging's "otp" template names it valid_minutes.
            "valid_minutes": int(CODE_VALIDITY.total_seconds() // 60),
            "client_name": ticket.client.name,
        },
        language=language,
        idempotency_key=f"otp-challenge-{challenge.pk}",
        ticket=ticket,
        customer=ticket.customer,
        secret_keys=("code",),
    )
    # The ticket now waits on the customer to read the code out (docs/design.md §5).
    sla_pause(ticket=ticket, at=now)
    _audit(
        "verification.otp_sent",
        ticket=ticket,
        staff=staff,
        data={
            "challenge": challenge.pk,
            "channel": contact.channel,
            "purpose": contact.purpose,
            "to": contact.masked,
        },
        request=request,
    )
    return challenge


def _sent_to(challenge: OtpChallenge) -> str:
    """Where the code went, masked, as it is now: the evidence keeps it, because the contact
    row may be changed later (an applied e-mail change rewrites the row in place, and the
    verification would then seem to have gone to the new address)."""
    if challenge.email is not None:
        return mask_email(challenge.email.email)
    if challenge.phone is not None:
        return mask_phone(challenge.phone.number)
    if challenge.new_value:
        return (mask_email if "@" in challenge.new_value else mask_phone)(challenge.new_value)
    return ""


@transaction.atomic
def otp_check(
    *, ticket: Ticket, staff: User, challenge_id: int, code: str, request: HttpRequest | None = None
) -> Outcome:
    """Check the code the customer read out against challenge `challenge_id`."""
    now = timezone.now()
    ticket = _locked_ticket(ticket, staff)
    _refuse_if_locked(ticket, now)
    challenge = (
        OtpChallenge.objects.select_for_update().filter(ticket=ticket, pk=challenge_id).first()
    )
    if challenge is None:
        raise VerificationError(_("Send a code first."))
    if challenge.used_at is not None:
        raise VerificationError(_("That code has been used already. Send a new one."))
    newer = OtpChallenge.objects.filter(
        ticket=ticket, destination=challenge.destination, created_at__gt=challenge.created_at
    )
    if newer.exists():
        raise VerificationError(_("A newer code was sent to that contact: type that one."))
    if now >= challenge.expires_at:
        raise VerificationError(_("That code has expired (codes last 10 minutes). Send a new one."))
    if challenge.wrong_tries >= CODE_MAX_WRONG_TRIES:
        raise VerificationError(_("Too many wrong tries for that code. Send a new one."))
    code = "".join((code or "").split())
    if len(code) != CODE_DIGITS or not code.isdigit():
        raise VerificationError(_("A code is 6 digits. Ask the customer to read it out again."))
    detail = {"challenge": challenge.pk, "channel": challenge.channel, "to": _sent_to(challenge)}
    if challenge.change_item_id:
        detail["item"] = challenge.change_item_id
    if code_matches(code, challenge.code_hash):
        challenge.used_at = now
        challenge.save(update_fields=["used_at"])
        Attempt.objects.create(
            ticket=ticket,
            customer=_customer(ticket),
            method=Method.OTP,
            purpose=challenge.purpose,
            result=Result.PASSED,
            staff=staff,
            at=now,
            challenge=challenge,
            detail=detail,
        )
        sla_resume(ticket=ticket, at=now)
        _audit("verification.otp_passed", ticket=ticket, staff=staff, data=detail, request=request)
        if challenge.purpose == Purpose.NEW_CONTACT:
            return Outcome(True, _("The new contact is proven."))
        return Outcome(True, _("The code is right: the one-time code check passed."))
    challenge.wrong_tries += 1
    challenge.save(update_fields=["wrong_tries"])
    Attempt.objects.create(
        ticket=ticket,
        customer=_customer(ticket),
        method=Method.OTP,
        purpose=challenge.purpose,
        result=Result.FAILED,
        staff=staff,
        at=now,
        challenge=challenge,
        detail={**detail, "wrong_tries": challenge.wrong_tries},
    )
    _audit(
        "verification.otp_failed",
        ticket=ticket,
        staff=staff,
        data={**detail, "tries_left": max(0, CODE_MAX_WRONG_TRIES - challenge.wrong_tries)},
        request=request,
    )
    lock = _failed(ticket=ticket, staff=staff, method=Method.OTP, now=now, request=request)
    if lock is not None:
        return Outcome(False, _locked_message(lock), locked=True)
    left = CODE_MAX_WRONG_TRIES - challenge.wrong_tries
    if left <= 0:
        return Outcome(False, _("Wrong code. That code cannot be tried again; send a new one."))
    return Outcome(False, _("Wrong code. %(left)d more tries for this code.") % {"left": left})


# --- security questions ----------------------------------------------------------------


@transaction.atomic
def questions_check(
    *, ticket: Ticket, staff: User, answers: dict[int, str], request: HttpRequest | None = None
) -> Outcome:
    """One round: the customer's answer to each of their questions, as the agent heard it.
    The round passes only if every answer matches."""
    now = timezone.now()
    ticket = _locked_ticket(ticket, staff)
    _refuse_if_locked(ticket, now)
    questions = list(_customer(ticket).security_questions.all())
    if not questions:
        raise VerificationError(_("This customer has no security questions on file."))
    if any(not (answers.get(q.pk) or "").strip() for q in questions):
        raise VerificationError(_("Type the customer's answer to every question."))
    wrong = sum(1 for q in questions if not answer_matches(answers[q.pk], q.answer_hash))
    result = Result.FAILED if wrong else Result.PASSED
    detail = {"questions": [q.pk for q in questions], "wrong": wrong}
    Attempt.objects.create(
        ticket=ticket,
        customer=_customer(ticket),
        method=Method.QUESTIONS,
        result=result,
        staff=staff,
        at=now,
        detail=detail,
    )
    _audit(
        f"verification.questions_{result}",
        ticket=ticket,
        staff=staff,
        data=detail,
        request=request,
    )
    if not wrong:
        return Outcome(True, _("The security answers match."))
    lock = _failed(ticket=ticket, staff=staff, method=Method.QUESTIONS, now=now, request=request)
    if lock is not None:
        return Outcome(False, _locked_message(lock), locked=True)
    return Outcome(False, _("Not every answer matches. Wrong answers count toward a lock-out."))


# --- documents -------------------------------------------------------------------------------


def _read_upload(upload: "UploadedFile[bytes] | None") -> tuple[bytes, Decoded]:
    """The upload's bytes, decoded (documents.py) before anything is stored."""
    if upload is None:
        raise DocumentRefused(_("Choose the document's file."))
    # (A file of unknown size is still cut at the limit below.)
    if upload.size is not None and upload.size > DOCUMENT_MAX_BYTES:
        raise DocumentRefused(_("The document is larger than 10 MB."))
    content = upload.read(DOCUMENT_MAX_BYTES + 1)
    if len(content) > DOCUMENT_MAX_BYTES:
        raise DocumentRefused(_("The document is larger than 10 MB."))
    try:
        return content, document_decode(content)
    except DocumentInvalid as error:
        raise DocumentRefused(str(error)) from None


CHECKLIST = ("photo_matches", "name_matches", "not_expired", "type_confirmed")


def document_check_record(
    *,
    ticket: Ticket,
    staff: User,
    upload: "UploadedFile[bytes] | None",
    document_type: str,
    checklist: dict[str, bool],
    request: HttpRequest | None = None,
) -> DocumentCheck:
    """Store the document privately and record the agent's checklist; all ticked: passed.

    The file is decoded first (documents.py: Pillow or pypdf) and refused with
    `DocumentRefused` unless it is a JPEG or PNG of at least 600 x 400 px or a PDF whose
    first page is at least 200 x 120 pt, of 10 KB to 10 MB (the settings
    `VERIFICATION_DOCUMENT_MIN_*`); its SHA-256 and size are kept on the row. If the
    transaction fails, the stored file is deleted again (profiledesk.files)."""
    with deleted_on_failure() as written, transaction.atomic():
        return _document_check_record(
            ticket=ticket,
            staff=staff,
            upload=upload,
            document_type=document_type,
            checklist=checklist,
            request=request,
            written=written,
        )


def _document_check_record(
    *,
    ticket: Ticket,
    staff: User,
    upload: "UploadedFile[bytes] | None",
    document_type: str,
    checklist: dict[str, bool],
    request: HttpRequest | None,
    written: list[str],
) -> DocumentCheck:
    now = timezone.now()
    ticket = _locked_ticket(ticket, staff)
    _refuse_if_locked(ticket, now)
    content, decoded = _read_upload(upload)
    kind = decoded.content_type
    ticks = {name: bool(checklist.get(name)) for name in CHECKLIST}
    result = Result.PASSED if all(ticks.values()) else Result.FAILED
    check = DocumentCheck(
        ticket=ticket,
        customer=ticket.customer,
        document_type=document_type,
        # The name the caller's file had is free text: a card number in it is redacted.
        original_name=redact_card_numbers(getattr(upload, "name", "") or "document")[-200:],
        content_type=kind,
        size=len(content),
        sha256=decoded.sha256,
        width=decoded.width,
        height=decoded.height,
        result=result,
        checked_by=staff,
        checked_at=now,
        **ticks,
    )
    # A random name: nothing about the customer in the storage path.
    check.file.save(f"{uuid.uuid4().hex}.{DOCUMENT_EXTENSIONS[kind]}", ContentFile(content), False)
    assert check.file.name is not None  # saved under that name just above
    written.append(check.file.name)
    check.save()
    Attempt.objects.create(
        ticket=ticket,
        customer=_customer(ticket),
        method=Method.DOCUMENT,
        result=result,
        staff=staff,
        at=now,
        detail={"document": check.pk, "type": document_type, **ticks},
    )
    _audit(
        f"verification.document_{result}",
        ticket=ticket,
        staff=staff,
        data={"document": check.pk, "type": document_type, "sha256": decoded.sha256, **ticks},
        request=request,
    )
    return check


def document_viewed(
    *, check: DocumentCheck, staff: User, request: HttpRequest | None = None
) -> None:
    _audit(
        "verification.document_viewed",
        ticket=check.ticket,
        staff=staff,
        data={"document": check.pk},
        request=request,
    )


@transaction.atomic
def documents_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the files of documents older than the retention period; keep the evidence
    row (type, checklist, result). Returns how many files were deleted."""
    now = now or timezone.now()
    days = getattr(settings, "VERIFICATION_DOCUMENT_RETENTION_DAYS", 30)
    due = (
        DocumentCheck.objects.select_for_update(skip_locked=True)
        .filter(checked_at__lt=now - dt.timedelta(days=days), file_deleted_at__isnull=True)
        .exclude(file="")
    )
    count = 0
    for check in due:
        check.file.delete(save=False)
        check.file = ""
        check.file_deleted_at = now
        check.save(update_fields=["file", "file_deleted_at"])
        count += 1
    return count


# --- reveal after verification -----------------------------------------------------------


@dataclass(frozen=True)
class RevealedItem:
    label: str
    current: str
    requested: str


# The states in which the agent on the call may see the change's values in full: not once
# security holds the ticket as a suspected fraud, nor after it is done.
DETAILS_STATES = {State.VERIFYING, State.READY, State.PENDING_APPROVAL, State.APPROVED}


def details_reveal_refusal(*, ticket: Ticket, staff: User) -> str | None:
    """Why `staff` may not reveal the ticket's values in the wizard (verification aside),
    or None. Only the agent working the ticket (its assignee: the claim) may: anyone else
    opening a verified ticket — its creator taken off it included — would read a
    customer's details unverified and without a reason (supervisors reveal from the
    customer page, with one)."""
    if staff.pk != ticket.assignee_id:
        return _(
            "Only the agent working this ticket sees its details; reveal from the "
            "customer's page instead (a reason may be asked, and it is recorded)."
        )
    if ticket.state not in DETAILS_STATES:
        return _("This ticket's details stay masked in its state (%(state)s).") % {
            "state": ticket.get_state_display()
        }
    return None


def details_reveal(
    *, ticket: Ticket, staff: User, request: HttpRequest | None = None
) -> list[RevealedItem]:
    """The values the change needs, in full, once the caller is verified, to the agent
    working the ticket (`details_reveal_refusal`); audited."""
    with transaction.atomic():
        refusal = details_reveal_refusal(ticket=ticket, staff=staff)
        if refusal:
            raise VerificationError(refusal)
        state = progress(ticket)
        # Not on a code to a contact changed within the cooling-off period, nor on a
        # ticket with security (a suspect's): as reveal.py.
        if (
            not state.verified
            or ticket.state == State.ESCALATED
            or achieved_level(ticket, unmasking=True) < state.required
        ):
            raise VerificationError(_("Verify the caller first; until then details stay masked."))
        shown = []
        items = list(ticket.items.all())
        for item in items:
            try:
                spec = resolve_field(item.section, item.field)
            except LookupError:
                continue
            current = ""
            if spec.attribute and item.target_id:
                model = as_section(spec.model)
                # Every concrete section has a `customer`; the abstract base declares none.
                row = model.objects.filter(  # type: ignore[misc]
                    customer=ticket.customer, pk=item.target_id
                ).first()
                if row is not None:
                    current = display(getattr(row, spec.attribute), spec.policy, revealed=True)
            requested = (
                item.new_display
                if item.is_secret or not spec.attribute
                else display(item.new_value, spec.policy, revealed=True)
            )
            shown.append(RevealedItem(item.label, current or item.old_display, requested))
        _audit(
            "verification.details_revealed",
            ticket=ticket,
            staff=staff,
            data={"items": [item.pk for item in items]},
            request=request,
        )
    return shown


def new_contact_challenges_keep(*, items: list[ChangeItem]) -> int:
    """Detach the codes sent to these change items' new contacts before the items are
    deleted (an edit drops them): deleting them with the items would forget that the codes
    went out, and dropping and re-adding an e-mail would reset its three-codes-an-hour
    limit. Detached, they prove nothing (a proof names its item) but still count."""
    return OtpChallenge.objects.filter(change_item__in=items).update(change_item=None)
