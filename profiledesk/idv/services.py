"""Writes of the identity provider (issue 18): start a session, reach the provider (the
task's steps), and turn its signed decision into evidence.

Starting is two steps, like a connector's delivery: `idv_session_start` writes an
`IdentitySession` (starting) in the caller's transaction and queues the task after commit;
the task claims the row with a conditional UPDATE, calls the provider (an idempotency key
per session, so a retry after a timeout gets the same provider session) and then
`idv_session_created` sends the link to the customer through messaging's outbox (the link
a secret there: encrypted until sent, "••••••" to staff) — or `idv_session_unreachable`
schedules the next try (30 s, 60 s, 2 min … `IDV_RETRY_MAX_SECONDS`, `IDV_MAX_TRIES`
tries) and the ticket says "provider unreachable, retrying"; the beat's sweep queues a
row whose task was lost. Nothing is lost on an outage: the row is the work.

The decision arrives by webhook (`idv_webhook_receive`): signature, timestamp, event id
once, the session's client, its ticket still verifying; a pass is an `Attempt` (method
"provider", staff None, detail ids only) and `verification.signals.evidence_recorded`
after commit.
"""

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, TypeGuard

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from profiledesk.accounts.models import User
from profiledesk.clients.models import Client
from profiledesk.customers.models import EmailAddress, PhoneNumber
from profiledesk.messaging.services import message_queue
from profiledesk.policies.services import risk_refresh
from profiledesk.policies.sla import sla_pause, sla_resume
from profiledesk.tickets.claims import claim_problem
from profiledesk.tickets.models import State, Ticket
from verification.models import Attempt, Purpose, Result
from verification.services import identity_destinations
from verification.signals import evidence_recorded
from verification.status import active_lock

from . import stripe_identity
from .models import (
    OPEN_STATUSES,
    PENDING_STATUSES,
    IdentitySession,
    ProviderAccount,
    SessionStatus,
    WebhookEvent,
)
from .stripe_identity import Created, SignatureError

logger = logging.getLogger(__name__)

METHOD = "provider"
MESSAGE_TEMPLATE = "identity_check"
# A customer gets at most this many identity-check links a day: each is a bearer link to
# their identity, and each session costs the client.
SESSIONS_PER_DAY = 3
MAX_WEBHOOK_BYTES = 256 * 1024


class IdvError(Exception):
    """A request refused with nothing written; the message is safe to show."""


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def timeout() -> float:
    return float(_setting("IDV_TIMEOUT", 10))


def max_tries() -> int:
    return int(_setting("IDV_MAX_TRIES", 6))


def retry_delay(tries: int) -> int:
    """Seconds before try `tries + 1`: 30 s, 60 s, 2 min … at most IDV_RETRY_MAX_SECONDS."""
    base = int(_setting("IDV_RETRY_BASE_SECONDS", 30))
    cap = int(_setting("IDV_RETRY_MAX_SECONDS", 900))
    return int(min(base * 2 ** max(tries - 1, 0), cap))


def _audit(
    action: str,
    *,
    client: Client | None,
    target: Any = None,
    actor: User | None = None,
    data: dict[str, Any],
    request: HttpRequest | None = None,
) -> None:
    audit_record(
        action=action, actor=actor, client=client, target=target, data=data, request=request
    )


def account_for(client: Client) -> ProviderAccount | None:
    return ProviderAccount.objects.filter(client=client, is_active=True).first()


# --- starting a session ------------------------------------------------------------------


@transaction.atomic
def idv_session_start(
    *,
    ticket: Ticket,
    by: User | None,
    contact_key: str | None = None,
    request: HttpRequest | None = None,
) -> IdentitySession:
    """Ask the provider for an identity check of the ticket's customer, its link to go to
    `contact_key` (a verified contact on file the wizard lists, not withheld). `by` None is
    the desk itself (straight-through processing): no claim, and the first contact that may
    receive it. Raises IdvError with nothing written."""
    now = timezone.now()
    locked = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("client", "customer")
        .get(pk=ticket.pk)
    )
    problem = claim_problem(locked, by)
    if problem:
        raise IdvError(problem)
    if locked.customer_id is None:
        raise IdvError(_("Match the request to a customer first."))
    if locked.state != State.VERIFYING:
        raise IdvError(_("Start verification on the ticket first."))
    if active_lock(locked.customer, now) is not None:
        raise IdvError(
            _("Verification is locked for this customer after too many failed attempts.")
        )
    if account_for(locked.client) is None:
        raise IdvError(_("This client has no identity provider set up."))
    if IdentitySession.objects.filter(ticket=locked, status__in=OPEN_STATUSES).exists():
        raise IdvError(_("An identity check is already under way for this ticket."))
    recent = IdentitySession.objects.filter(
        customer_id=locked.customer_id, created_at__gt=now - dt.timedelta(days=1)
    ).count()
    if recent >= SESSIONS_PER_DAY:
        raise IdvError(
            _("%(count)d identity-check links went to this customer in the last 24 hours.")
            % {"count": recent}
        )
    contacts = identity_destinations(locked)
    if contact_key is None:
        usable = [c for c in contacts if not c.withheld]
        contact = usable[0] if usable else None
    else:
        contact = next((c for c in contacts if c.key == contact_key), None)
    if contact is None:
        raise IdvError(_("The link goes only to a verified contact on file."))
    if contact.withheld:
        raise IdvError(
            _("No identity-check link goes to %(contact)s: %(reason)s.")
            % {"contact": contact.masked, "reason": contact.withheld}
        )
    session = IdentitySession.objects.create(
        client=locked.client,
        ticket=locked,
        customer_id=locked.customer_id,
        status=SessionStatus.STARTING,
        contact_key=contact.key,
        contact_masked=contact.masked,
        started_by=by,
        created_at=now,
        updated_at=now,
        next_try_at=now,
    )
    _audit(
        "idv.session_requested",
        client=locked.client,
        target=locked,
        actor=by,
        data={"ticket": locked.reference, "session": session.pk, "to": contact.masked},
        request=request,
    )
    # Tasks imports this module (Celery's services <-> tasks cycle): named at call time.
    from .tasks import session_create

    transaction.on_commit(lambda: session_create.delay(session.pk))
    return session


@dataclass(frozen=True)
class Outgoing:
    session_id: int
    base_url: str
    secret_key: str
    reference: str


def idv_session_claim(*, session_id: int) -> Outgoing | None:
    """Hold a session that still has to reach the provider, is due and no other worker
    holds; None otherwise (the caller then does nothing)."""
    now = timezone.now()
    claimed = (
        IdentitySession.objects.filter(
            pk=session_id,
            status__in=PENDING_STATUSES,
            next_try_at__lte=now + dt.timedelta(seconds=5),
        )
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + dt.timedelta(seconds=timeout() + 50))
    )
    if claimed != 1:
        return None
    session = IdentitySession.objects.select_related("ticket", "client").get(pk=session_id)
    if session.ticket.state != State.VERIFYING:
        _session_end(session, SessionStatus.CANCELED, "ticket_moved")
        return None
    account = account_for(session.client)
    if account is None:
        _session_end(session, SessionStatus.FAILED, "no_account")
        return None
    try:
        secret_key = account.secret_key()
    except ValueError:  # sealed with a key the desk no longer has
        _session_end(session, SessionStatus.FAILED, "undecryptable_key")
        return None
    return Outgoing(
        session_id=session.pk,
        base_url=account.base_url,
        secret_key=secret_key,
        reference=session.ticket.reference or "",
    )


def _session_end(session: IdentitySession, status: str, code: str) -> None:
    updated = IdentitySession.objects.filter(pk=session.pk, status__in=PENDING_STATUSES).update(
        status=status, error_code=code, locked_until=None, updated_at=timezone.now()
    )
    if updated:
        _audit(
            "idv.session_failed",
            client=session.client,
            target=session.ticket,
            data={"ticket": session.ticket.reference, "session": session.pk, "reason": code},
        )


def metadata_for(outgoing: Outgoing) -> dict[str, str]:
    """What the provider keeps with the session: desk ids, never the customer's data."""
    return {"desk_session": str(outgoing.session_id), "ticket": outgoing.reference}


@transaction.atomic
def idv_session_created(*, session_id: int, created: Created) -> bool:
    """The provider made the session: keep its id and send its link to the contact on file.
    False (nothing sent) if the session was ended meanwhile or the ticket moved on."""
    session = (
        IdentitySession.objects.select_for_update(of=("self",))
        .select_related("ticket__client", "ticket__customer__language_region")
        .get(pk=session_id)
    )
    ticket = session.ticket
    now = timezone.now()
    session.provider_id = created.id
    session.locked_until = None
    session.updated_at = now
    if session.status not in PENDING_STATUSES or ticket.state != State.VERIFYING:
        session.save(update_fields=["provider_id", "locked_until", "updated_at"])
        return False
    contact = next((c for c in identity_destinations(ticket) if c.key == session.contact_key), None)
    if contact is None or contact.withheld:
        # The contact was changed or withheld since the agent chose it: the link would go
        # somewhere the desk no longer trusts.
        session.status, session.error_code = SessionStatus.FAILED, "contact_withheld"
        session.save(
            update_fields=["provider_id", "status", "error_code", "locked_until", "updated_at"]
        )
        _audit(
            "idv.session_failed",
            client=ticket.client,
            target=ticket,
            data={"ticket": ticket.reference, "session": session.pk, "reason": "contact_withheld"},
        )
        return False
    session.status = SessionStatus.SENT
    session.error_code = ""
    session.save(
        update_fields=["provider_id", "status", "error_code", "locked_until", "updated_at"]
    )
    customer = ticket.customer
    language = getattr(getattr(customer, "language_region", None), "language", "") or "en"
    message_queue(
        client=ticket.client,
        channel=contact.channel,
        to=_address(contact.key),
        template=MESSAGE_TEMPLATE,
        context={"url": created.url, "client_name": ticket.client.name},
        language=language,
        idempotency_key=f"idv-session-{session.pk}",
        ticket=ticket,
        customer=customer,
        secret_keys=("url",),
    )
    sla_pause(ticket=ticket, at=now)  # it waits on the customer now
    _audit(
        "idv.session_started",
        client=ticket.client,
        target=ticket,
        data={
            "ticket": ticket.reference,
            "session": session.pk,
            "provider_session": created.id,
            "to": session.contact_masked,
        },
    )
    return True


def _address(key: str) -> str:
    kind, _sep, pk = key.partition(":")
    if kind == "email":
        return EmailAddress.objects.get(pk=pk).email
    return PhoneNumber.objects.get(pk=pk).number


def idv_session_unreachable(*, session_id: int, reason: str) -> int | None:
    """A try failed for a reason that may pass (timeout, 5xx): seconds until the next, or
    None when that was the last (the session failed; the ticket says so)."""
    session = IdentitySession.objects.select_related("ticket", "client").get(pk=session_id)
    tries = session.tries + 1
    now = timezone.now()
    if tries >= max_tries():
        IdentitySession.objects.filter(pk=session_id, status__in=PENDING_STATUSES).update(
            tries=tries, locked_until=None, updated_at=now
        )
        _session_end(session, SessionStatus.FAILED, f"unreachable:{reason}"[:64])
        return None
    delay = retry_delay(tries)
    updated = IdentitySession.objects.filter(pk=session_id, status__in=PENDING_STATUSES).update(
        status=SessionStatus.RETRYING,
        tries=tries,
        error_code=reason[:64],
        next_try_at=now + dt.timedelta(seconds=delay),
        locked_until=None,
        updated_at=now,
    )
    if updated and tries == 1:  # the first failure is the news; the others are its retries
        _audit(
            "idv.session_retrying",
            client=session.client,
            target=session.ticket,
            data={"ticket": session.ticket.reference, "session": session.pk, "reason": reason},
        )
    return delay if updated else None


def idv_session_refused(*, session_id: int, reason: str) -> None:
    """The provider refused the request (a revoked key, a bad request): no retry helps."""
    session = IdentitySession.objects.select_related("ticket", "client").get(pk=session_id)
    _session_end(session, SessionStatus.FAILED, reason[:64])


def idv_sessions_sweep() -> int:
    """Queue again the sessions still to start whose task was lost (Redis down, a worker
    died): due more than a minute ago and held by no worker."""
    now = timezone.now()
    stale = list(
        IdentitySession.objects.filter(
            status__in=PENDING_STATUSES, next_try_at__lt=now - dt.timedelta(seconds=60)
        )
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .values_list("pk", flat=True)[:200]
    )
    from .tasks import session_create

    for session_id in stale:
        IdentitySession.objects.filter(pk=session_id, status__in=PENDING_STATUSES).update(
            next_try_at=now
        )
        session_create.delay(session_id)
    return len(stale)


# --- the decision's webhook --------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    status: int
    detail: str


class _Refused(Exception):
    def __init__(self, reason: str, detail: str, client: Client | None = None) -> None:
        super().__init__(detail)
        self.reason, self.detail, self.client = reason, detail, client


class _Replay(Exception):
    pass


def _refuse(
    reason: str,
    detail: str,
    *,
    client: Client | None,
    data: dict[str, Any],
    request: HttpRequest | None,
) -> Received:
    _audit(
        "idv.webhook_refused",
        client=client,
        data={"reason": reason, **data},
        request=request,
    )
    logger.warning("identity provider webhook refused: %s", reason)
    return Received(400, detail)


def _plain(value: object) -> TypeGuard[str]:
    """A provider's id as the desk may query and audit it: printable text (PostgreSQL
    refuses a NUL in a query or a JSON value)."""
    return isinstance(value, str) and value.isprintable()


def _event_fields(payload: bytes) -> tuple[str, str, dict[str, Any]]:
    """(event id, type, the session object) of a Stripe event, or _Refused."""
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError):
        raise _Refused("malformed", _("The body is not a JSON event.")) from None
    if not isinstance(event, dict):
        raise _Refused("malformed", _("The body is not a JSON event."))
    event_id, event_type = event.get("id"), event.get("type")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not (
        isinstance(event_id, str)
        and event_id.startswith("evt_")
        and 4 < len(event_id) <= 255
        and event_id.isprintable()
        and isinstance(event_type, str)
        and len(event_type) <= 100
        and event_type.isprintable()  # no NUL: PostgreSQL refuses it in text (a 500)
        and isinstance(obj, dict)
    ):
        raise _Refused("malformed", _("The event has no id, type or object."))
    return event_id, event_type, obj


def idv_webhook_receive(
    *, client_slug: str, payload: bytes, signature: str | None, request: HttpRequest | None
) -> Received:
    """One webhook delivery to the endpoint of the client `client_slug`. 200: accepted (or
    a replay of an accepted event: nothing again); 400 with the reason: refused and
    audited. Never raises for anything the sender controls."""
    account = (
        ProviderAccount.objects.select_related("client")
        .filter(client__slug=client_slug[:40], is_active=True)
        .first()
    )
    if account is None:
        return _refuse(
            "unknown_endpoint",
            _("No identity provider is set up at this endpoint."),
            client=None,
            data={"endpoint": client_slug[:40]},
            request=request,
        )
    client = account.client
    if len(payload) > MAX_WEBHOOK_BYTES:
        return _refuse(
            "too_large", _("The event is too large."), client=client, data={}, request=request
        )
    try:
        secret = account.webhook_secret()
    except ValueError:
        return _refuse(
            "undecryptable_secret",
            _("The desk cannot check this endpoint's signatures."),
            client=client,
            data={},
            request=request,
        )
    try:
        stripe_identity.signature_verify(
            payload=payload,
            header=signature,
            secret=secret,
            now=time.time(),
            tolerance=stripe_identity.TOLERANCE_SECONDS,
        )
    except SignatureError as error:
        return _refuse(error.reason, str(error), client=client, data={}, request=request)
    try:
        event_id, event_type, obj = _event_fields(payload)
    except _Refused as refused:
        return _refuse(refused.reason, refused.detail, client=client, data={}, request=request)
    provider_id = obj.get("id")
    ids = {
        "event": event_id,
        "provider_session": provider_id if _plain(provider_id) else "",
    }
    ids["provider_session"] = ids["provider_session"][:255]
    try:
        with transaction.atomic():
            outcome = _apply_event(client=client, event_id=event_id, event_type=event_type, obj=obj)
    except _Replay:
        _audit("idv.webhook_replayed", client=client, data=ids, request=request)
        return Received(200, _("Already received."))
    except _Refused as refused:
        return _refuse(refused.reason, refused.detail, client=client, data=ids, request=request)
    if outcome.attempt_id is not None:
        attempt_id, ticket_id = outcome.attempt_id, outcome.ticket_id

        transaction.on_commit(
            lambda: evidence_recorded.send_robust(
                sender=Attempt, ticket_id=ticket_id, attempt_id=attempt_id, method=METHOD
            )
        )
    return Received(200, outcome.detail)


@dataclass(frozen=True)
class _Outcome:
    detail: str
    attempt_id: int | None = None
    ticket_id: int | None = None


_DECISIONS = {
    stripe_identity.VERIFIED: "verified",
    stripe_identity.REQUIRES_INPUT: "requires_input",
    stripe_identity.CANCELED: "canceled",
    stripe_identity.PROCESSING: "processing",
}


def _apply_event(
    *, client: Client, event_id: str, event_type: str, obj: dict[str, Any]
) -> _Outcome:
    """Inside the caller's transaction: remember the event (a replay raises _Replay) and
    act on it; _Refused rolls everything back, the event id included."""
    now = timezone.now()
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                client=client,
                event_id=event_id,
                type=event_type,
                received_at=now,
                outcome="received",
            )
    except IntegrityError:
        raise _Replay from None
    decision = _DECISIONS.get(event_type)
    if decision is None:
        event.outcome = "ignored_type"
        event.save(update_fields=["outcome"])
        return _Outcome(_("Event type not used by the desk."))
    provider_id = obj.get("id")
    if not (_plain(provider_id) and provider_id.startswith("vs_")):
        raise _Refused("malformed", _("The event names no verification session."))
    if obj.get("status") != decision:
        raise _Refused("status_mismatch", _("The session's status does not match the event."))
    found = (
        IdentitySession.objects.filter(provider_id=provider_id)
        .values_list("pk", "client_id", "ticket_id")
        .first()
    )
    if found is None:
        raise _Refused("unknown_session", _("No such verification session."))
    session_pk, session_client, ticket_id = found
    if session_client != client.pk:
        # The same answer as an unknown session: the endpoint's client learns nothing of
        # another client's sessions (the audit event says which it was).
        raise _Refused("other_client", _("No such verification session."))
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("desk_session") != str(session_pk):
        # Compared, never trusted nor stored: the row was found by the provider's id.
        raise _Refused("metadata_mismatch", _("The session's metadata is not the desk's."))
    ticket = (
        Ticket.objects.select_for_update(of=("self",)).select_related("client").get(pk=ticket_id)
    )
    session = IdentitySession.objects.select_for_update().get(pk=session_pk)
    event.session = session
    ids = {
        "ticket": ticket.reference,
        "session": session.pk,
        "provider_session": provider_id,
        "event": event_id,
    }
    code = stripe_identity.error_code(obj)
    ignored = _ignored_reason(ticket, session, decision)
    if ignored:
        event.outcome = f"ignored:{ignored}"
        event.save(update_fields=["session", "outcome"])
        _audit(
            "idv.decision_ignored",
            client=client,
            target=ticket,
            data={**ids, "decision": decision, "reason": ignored},
        )
        return _Outcome(_("Received; the ticket no longer waits for this check."))
    if decision == "processing":
        session.status, session.updated_at = SessionStatus.PROCESSING, now
        session.save(update_fields=["status", "updated_at"])
        event.outcome = "processing"
        event.save(update_fields=["session", "outcome"])
        return _Outcome(_("Received."))
    passed = decision == "verified"
    attempt = Attempt.objects.create(
        ticket=ticket,
        customer_id=session.customer_id,
        method=METHOD,
        purpose=Purpose.IDENTITY,
        result=Result.PASSED if passed else Result.FAILED,
        staff=None,
        at=now,
        detail={
            "session": session.pk,
            "provider_session": provider_id,
            "event": event_id,
            "decision": decision,
            **({"code": code} if code else {}),
        },
    )
    session.status = {
        "verified": SessionStatus.VERIFIED,
        "requires_input": SessionStatus.DECLINED,
        "canceled": SessionStatus.CANCELED,
    }[decision]
    session.error_code = code
    session.attempt = attempt
    session.updated_at = now
    session.save(update_fields=["status", "error_code", "attempt", "updated_at"])
    event.outcome = decision
    event.save(update_fields=["session", "outcome"])
    sla_resume(ticket=ticket, at=now)
    _audit(
        "idv.verified"
        if passed
        else ("idv.declined" if decision == "requires_input" else "idv.canceled"),
        client=client,
        target=ticket,
        data={
            **ids,
            "attempt": attempt.pk,
            "decision": decision,
            **({"code": code} if code else {}),
        },
    )
    if not passed:
        # A decline for fraud-like reasons, or a canceled check, is a risk reason of its
        # own (idv.risk.provider_declined): re-scored now, in this transaction.
        risk_refresh(ticket=ticket)
        return _Outcome(_("Recorded: the check did not pass."))
    return _Outcome(_("Recorded: verified."), attempt_id=attempt.pk, ticket_id=ticket.pk)


def _ignored_reason(ticket: Ticket, session: IdentitySession, decision: str) -> str:
    """Why this decision is no evidence for the ticket now, or ""."""
    if ticket.client_id != session.client_id:
        return "other_client"
    if not ticket.is_open:
        return "ticket_closed"
    if ticket.state != State.VERIFYING:
        return "ticket_not_verifying"
    if session.status in (SessionStatus.VERIFIED, SessionStatus.CANCELED, SessionStatus.FAILED):
        return "session_ended"
    if ticket.customer_id != session.customer_id:
        return "customer_changed"  # the ticket was matched to someone else meanwhile
    if decision == "verified" and active_lock(ticket.customer) is not None:
        # "Do not verify by any other means" while the customer is locked out: a pass
        # arriving now is not taken, whoever produced it.
        return "customer_locked"
    if (
        decision == "verified"
        and session.status == SessionStatus.DECLINED
        and session.error_code in stripe_identity.FRAUD_CODES
    ):
        # Stripe lets the customer try the same session again; after a fraud-like decline
        # the desk wants a fresh session an agent chose to start, not a second go.
        return "declined_for_fraud"
    return ""
