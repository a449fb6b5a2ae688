"""Confirming applied changes to the customer, the "this wasn't me" report, and closing
the ticket once everything is done (docs/design.md §6).

`confirmations_create` is called by the apply service inside its transaction, after the
profile is written and the ticket moved to `applied`: the messages it queues are outbox
rows of that transaction (nothing is sent if the apply rolls back), and their keys make
a retried apply queue nothing twice.

Who is told:
- security changes (category "security" or any security item): every verified e-mail
  address and every verified mobile-capable phone;
- contact changes: the OLD and the NEW value of each changed e-mail or phone, over its
  own channel. The ticket keeps the old value only masked, so the old value is read from
  the profile row's history: the newest historical value that differs from what the row
  holds now (the profile already holds the new value when this runs);
- everyone else, and in addition to the above for contact changes: the primary e-mail if
  `confirm_by_email`, the primary phone if `confirm_by_sms`; if neither applies (no
  preference or no such contact), the primary e-mail, so the customer is always told;
- in the app, whatever the change, if `confirm_in_app`: a `customer.notification` event
  to each active communications system of the client (`connectors.services.
  notification_create`). A client with none: the ticket says so and the primary e-mail
  (else the primary mobile, by SMS) is told instead (`Reason.FALLBACK`).

Messages show only what the ticket shows (its masked displays) and the ticket reference;
the "this wasn't me" link is a secret of the message (staff see "••••••" in its place).
The in-app notification is stricter, as it passes through the client's system whatever
its data scope: values the desk shows in clear (names, for instance) are masked to their
first character, only public ones (a preference, a language) are shown as they are; its
link is sealed in the delivery row as a message's is (`notification_create`).
"""

import datetime as dt
import hashlib
import logging
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template import Context
from django.template.loader import select_template
from django.urls import reverse
from django.utils import timezone, translation

from audit.services import audit_record
from profiledesk.accounts.models import User
from profiledesk.connectors.models import NOTIFICATION_TYPE, Connector, Delivery
from profiledesk.connectors.models import Status as DeliveryStatus
from profiledesk.connectors.selectors import notification_connectors
from profiledesk.connectors.services import notification_create
from profiledesk.customers.models import (
    Customer,
    EmailAddress,
    LanguageRegion,
    PhoneNumber,
    Preferences,
)
from profiledesk.customers.services import customer_freeze
from profiledesk.i18n.languages import customer_language_or_default
from profiledesk.intake.fields import resolve_field
from profiledesk.intake.validators import INVISIBLE_CONTROLS
from profiledesk.intake.wording import item_words
from profiledesk.messaging.models import Channel, Message, Status
from profiledesk.messaging.rendering import candidates
from profiledesk.messaging.services import message_queue
from profiledesk.policies.categories import Category
from profiledesk.privacy.masking import mask_email, mask_head, mask_phone
from profiledesk.privacy.sensitivity import Sensitivity
from profiledesk.tickets.models import ChangeItem, Priority, RiskLevel, State, Ticket, TicketEvent
from profiledesk.tickets.services import ticket_create
from profiledesk.tickets.states import TransitionError, transition

from . import rules, tokens
from .models import Confirmation, Reason, ReportLink

logger = logging.getLogger(__name__)

TEMPLATE = "confirmation"
# The in-app notification: title.txt, body.txt, action.txt (the link's words), plain text.
APP_TEMPLATE = "confirmation_app"
TITLE_MAX, BODY_MAX = 200, 2000

# ChangeItem.field of a contact the customer is reached at: (model, attribute, channel).
CONTACT_FIELDS = {
    "emailaddress.email": (EmailAddress, "email", Channel.EMAIL),
    "phonenumber.number": (PhoneNumber, "number", Channel.SMS),
}


@dataclass(frozen=True)
class Recipient:
    channel: str
    address: str
    reason: str

    @property
    def masked(self) -> str:
        return (
            mask_email(self.address) if self.channel == Channel.EMAIL else mask_phone(self.address)
        )


# --- Who is told -----------------------------------------------------------------------


def _previous_value(
    # A concrete section model: its `history` manager is simple-history's, untyped.
    model: type[Any],
    *,
    customer_id: int,
    row_id: int,
    attribute: str,
) -> tuple[str, str]:
    """(the value the row holds now, or "" if it is gone; the newest earlier value)."""
    row = model.objects.filter(pk=row_id, customer_id=customer_id).first()
    current = getattr(row, attribute) if row is not None else ""
    history = (
        model.history.filter(id=row_id, customer_id=customer_id)
        .order_by("-history_date", "-history_id")
        .values_list(attribute, flat=True)[:50]
    )
    for value in history:
        if value and value != current:
            return current, value
    return current, ""


def _is_security(ticket: Ticket, items: Iterable[ChangeItem]) -> bool:
    return ticket.category == Category.SECURITY or any(
        item.section == Category.SECURITY for item in items
    )


@dataclass(frozen=True)
class Plan:
    """Whom the confirmation of a ticket goes to."""

    recipients: list[Recipient]  # e-mail and SMS, each (channel, address) once
    apps: list[Connector]  # communications systems that carry the in-app notification
    # The customer chose the app and the client has no active communications system:
    # whom the desk tells instead (also when they are told there by preference anyway).
    app_missing: bool
    instead: list[Recipient]


def confirmation_recipients(*, ticket: Ticket) -> list[Recipient]:
    """Whom the confirmation of `ticket` goes to by e-mail or SMS, each (channel, address)
    once."""
    return confirmation_plan(ticket=ticket).recipients


def confirmation_plan(*, ticket: Ticket) -> Plan:
    """Whom the confirmation of `ticket` goes to: e-mail and SMS recipients, and the
    client's communications systems if the customer chose the app."""
    customer_id = cast("int", ticket.customer_id)  # an applied ticket has its customer
    items = list(ticket.items.all())
    prefs = Preferences.objects.filter(customer_id=customer_id).first()
    wants_app = bool(prefs and prefs.confirm_in_app)
    apps = notification_connectors(client_id=ticket.client_id) if wants_app else []
    found: list[Recipient] = []
    instead: list[Recipient] = []

    if _is_security(ticket, items):
        for address in EmailAddress.objects.filter(
            customer_id=customer_id, verified_at__isnull=False
        ).order_by("-is_primary", "pk"):
            found.append(Recipient(Channel.EMAIL, address.email, Reason.VERIFIED))
        for phone in (
            PhoneNumber.objects.filter(customer_id=customer_id, verified_at__isnull=False)
            .exclude(kind=PhoneNumber.Kind.LANDLINE)
            .order_by("-is_primary", "pk")
        ):
            found.append(Recipient(Channel.SMS, phone.number, Reason.VERIFIED))
    else:
        for item in items:
            if item.field not in CONTACT_FIELDS:
                continue
            model, attribute, channel = CONTACT_FIELDS[item.field]
            new, old = item.new_value, ""
            if item.target_id is not None:
                current, old = _previous_value(
                    model, customer_id=customer_id, row_id=item.target_id, attribute=attribute
                )
                new = current or ""  # a removed row has no new contact
            if old:
                found.append(Recipient(channel, old, Reason.OLD_CONTACT))
            if new:
                found.append(Recipient(channel, new, Reason.NEW_CONTACT))
        # The app chosen: told there, or by the fallback below; not by a default e-mail.
        found += _preferred(customer_id, prefs, in_app=wants_app)
    if wants_app and not apps:
        instead = _fallback(customer_id)
        found += instead

    unique: dict[tuple[str, str], Recipient] = {}
    for recipient in found:
        unique.setdefault((recipient.channel, recipient.address.lower()), recipient)
    return Plan(
        recipients=list(unique.values()),
        apps=apps,
        app_missing=wants_app and not apps,
        instead=instead,
    )


def _preferred(customer_id: int, prefs: Preferences | None, *, in_app: bool) -> list[Recipient]:
    by_email = prefs.confirm_by_email if prefs else True
    by_sms = prefs.confirm_by_sms if prefs else False
    email = EmailAddress.objects.filter(customer_id=customer_id, is_primary=True).first()
    phone = PhoneNumber.objects.filter(customer_id=customer_id, is_primary=True).first()
    chosen = []
    if by_email and email:
        chosen.append(Recipient(Channel.EMAIL, email.email, Reason.PREFERRED))
    if by_sms and phone:
        chosen.append(Recipient(Channel.SMS, phone.number, Reason.PREFERRED))
    if not chosen and not in_app and email:
        chosen.append(Recipient(Channel.EMAIL, email.email, Reason.PREFERRED))
    return chosen


def _fallback(customer_id: int) -> list[Recipient]:
    """The customer chose the app but the client has no communications system: the
    primary e-mail, else the primary mobile by SMS."""
    email = EmailAddress.objects.filter(customer_id=customer_id, is_primary=True).first()
    if email is not None:
        return [Recipient(Channel.EMAIL, email.email, Reason.FALLBACK)]
    phone = (
        PhoneNumber.objects.filter(customer_id=customer_id, is_primary=True)
        .exclude(kind=PhoneNumber.Kind.LANDLINE)
        .first()
    )
    return [Recipient(Channel.SMS, phone.number, Reason.FALLBACK)] if phone else []


# --- Sending the confirmations -----------------------------------------------------------


def _language_and_zone(customer: Customer) -> tuple[str, str]:
    """The customer's language (one the customer side ships, else English) and zone."""
    region = LanguageRegion.objects.filter(customer_id=customer.pk).first()
    language = customer_language_or_default(region.language if region else None)
    zone = region.time_zone if region and region.time_zone else settings.TIME_ZONE
    return language, zone


def _when(at: dt.datetime, zone: str) -> str:
    try:
        tz = ZoneInfo(zone)
    except (KeyError, ValueError):
        tz = ZoneInfo("UTC")
    return timezone.localtime(at, tz).strftime("%Y-%m-%d %H:%M %Z")


def idempotency_key(*, ticket: Ticket, recipient: Recipient) -> str:
    digest = hashlib.sha256(recipient.address.lower().encode()).hexdigest()[:24]
    return f"confirmation:{ticket.pk}:{recipient.channel}:{digest}"


def report_url(token: str) -> str:
    base = getattr(settings, "DESK_PUBLIC_URL", "http://localhost:8000").rstrip("/")
    return base + reverse("confirmations:report", args=[token])


@transaction.atomic
def confirmations_create(*, ticket: Ticket) -> list[Message]:
    """Queue the confirmation of an applied `ticket` to each of its recipients, each with
    its own single-use "this wasn't me" link. Call it after the profile is written; a
    second call (a retried apply) returns the same messages and queues nothing. Returns
    the e-mail and SMS messages; the in-app notifications are deliveries (connectors),
    each tied to the ticket by its `Confirmation` row."""
    customer = ticket.customer
    if customer is None:
        return []
    language, zone = _language_and_zone(customer)
    now = timezone.now()
    ticket_items = list(ticket.items.all())
    # Labels and displays are stored in English: translated as each message renders.
    items = [item_words(item) for item in ticket_items]
    plan = confirmation_plan(ticket=ticket)
    messages, queued = [], False
    for recipient in plan.recipients:
        key = idempotency_key(ticket=ticket, recipient=recipient)
        existing = Message.objects.filter(idempotency_key=key).first()
        if existing is not None:
            messages.append(existing)
            continue
        token, digest = tokens.token_new()
        message = message_queue(
            client=ticket.client,
            channel=recipient.channel,
            to=recipient.address,
            template=TEMPLATE,
            context={
                "client_name": ticket.client.name,
                "reference": ticket.reference,
                "applied_at": _when(now, zone),
                "items": items,
                "report_url": report_url(token),
                "valid_days": tokens.VALID_FOR.days,
            },
            language=language,
            idempotency_key=key,
            ticket=ticket,
            customer=customer,
            secret_keys=("report_url",),
        )
        confirmation, created = Confirmation.objects.get_or_create(
            message=message,
            defaults={
                "ticket": ticket,
                "recipient_masked": recipient.masked,
                "reason": recipient.reason,
                "created_at": now,
            },
        )
        if created:
            queued = True
            ReportLink.objects.create(
                ticket=ticket,
                confirmation=confirmation,
                token_hash=digest,
                language=language,
                created_at=now,
                expires_at=now + tokens.VALID_FOR,
            )
        messages.append(message)
    for connector in plan.apps:
        queued = (
            _in_app_create(
                ticket=ticket,
                connector=connector,
                items=ticket_items,
                language=language,
                zone=zone,
                now=now,
            )
            or queued
        )
    if plan.app_missing and queued:
        fallback = [r.masked for r in plan.instead]
        TicketEvent.objects.create(
            ticket=ticket,
            at=now,
            kind=TicketEvent.Kind.NOTE,
            message=(
                "The customer asked for confirmations in the app, but no communications "
                "system is active for this client: "
                + (
                    f"confirmed by {fallback[0]} instead."
                    if fallback
                    else "confirmed by their other contacts only."
                )
            ),
        )
    if queued:
        TicketEvent.objects.create(
            ticket=ticket,
            at=now,
            kind=TicketEvent.Kind.NOTE,
            message="Confirmation queued to "
            + ", ".join(c.recipient_masked for c in _confirmations(ticket)),
        )
    return messages


def _in_app_create(
    *,
    ticket: Ticket,
    connector: Connector,
    items: list[ChangeItem],
    language: str,
    zone: str,
    now: dt.datetime,
) -> bool:
    """The in-app confirmation to one communications system, with its own single-use
    link; False if it was written already (a retried apply)."""
    if Confirmation.objects.filter(ticket_id=ticket.pk, delivery__connector=connector).exists():
        return False
    customer = cast("Customer", ticket.customer)
    token, digest = tokens.token_new()
    expires_at = now + tokens.VALID_FOR
    with translation.override(language):  # the app shows them as they are: plain text
        shown = [
            {
                "label": _plain(str(words["label"])),
                "old": _app_masked(item, str(words["old"])),
                "new": _app_masked(item, str(words["new"])),
            }
            for item, words in ((item, item_words(item)) for item in items)
        ]
    context = {
        "client_name": ticket.client.name,
        "reference": ticket.reference,
        "applied_at": _when(now, zone),
        "items": shown,
        "valid_days": tokens.VALID_FOR.days,
    }
    data = {
        "customer": customer.number,
        "notification": "change_confirmation",
        "language": language,
        "title": _plain(_render_text(ticket, language, "title.txt", context), one_line=True)[
            :TITLE_MAX
        ],
        "body": _plain(_render_text(ticket, language, "body.txt", context))[:BODY_MAX],
        "items": shown,
        "applied_at": now.isoformat(),
        "report_url": "",
        "report_label": _plain(
            _render_text(ticket, language, "action.txt", context), one_line=True
        )[:TITLE_MAX],
        "report_expires_at": expires_at.isoformat(),
    }
    # The same event id for the same ticket and system: a retried apply writes nothing.
    event_id = str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"profiledesk:confirmation:{ticket.pk}:{connector.pk}")
    )
    delivery = notification_create(
        ticket=ticket,
        connector=connector,
        event_id=event_id,
        data=data,
        secrets={"report_url": report_url(token)},
    )
    confirmation = Confirmation.objects.create(
        ticket=ticket,
        delivery=delivery,
        recipient_masked=connector.name,
        reason=Reason.PREFERRED,
        created_at=now,
    )
    ReportLink.objects.create(
        ticket=ticket,
        confirmation=confirmation,
        token_hash=digest,
        language=language,
        created_at=now,
        expires_at=expires_at,
    )
    return True


def _render_text(ticket: Ticket, language: str, part: str, context: dict[str, Any]) -> str:
    """A plain-text part of the in-app template (per client and language, as messages)."""
    names = candidates(
        client_slug=ticket.client.slug, template=APP_TEMPLATE, language=language, part=part
    )
    with translation.override(language):
        text = select_template(names).template.render(Context(context, autoescape=False))
    return str(text).strip()


def _plain(text: str, *, one_line: bool = False) -> str:
    """Text an app shows as it is: no bidi controls, zero-width or control characters
    (a name or a client's template cannot reorder or hide what the customer reads);
    line breaks only in a body."""
    kept = []
    for ch in str(text):
        if ch in INVISIBLE_CONTROLS:
            continue
        if ch == "\n" and not one_line:
            kept.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            kept.append(" ")
        else:
            kept.append(ch)
    cleaned = "".join(kept)
    if one_line:
        return " ".join(cleaned.split())
    return "\n".join(" ".join(line.split()) for line in cleaned.split("\n")).strip()


def _app_masked(item: ChangeItem, shown: str) -> str:
    """`shown` (the ticket's display) as the app may carry it: values the desk masks
    stay as masked, public ones as they are, anything else shown in clear on the desk
    (a name, a job title) masked to its first character."""
    if not shown:
        return ""
    try:
        policy = resolve_field(item.section, item.field).policy
    except LookupError:
        return _plain(mask_head(shown), one_line=True)
    if policy.sensitivity == Sensitivity.PUBLIC or policy.masked_by_default:
        return _plain(shown, one_line=True)
    return _plain(mask_head(shown), one_line=True)


def _confirmations(ticket: Ticket) -> QuerySet[Confirmation]:
    return Confirmation.objects.filter(ticket_id=ticket.pk).order_by("pk")


# --- Closing --------------------------------------------------------------------------------


def _note_sent(ticket: Ticket) -> None:
    """One timeline note per confirmation sent (claimed with a conditional UPDATE)."""
    for confirmation in (
        _confirmations(ticket)
        .filter(noted_at__isnull=True, message__status=Status.SENT)
        .select_related("message")
    ):
        if Confirmation.objects.filter(pk=confirmation.pk, noted_at__isnull=True).update(
            noted_at=timezone.now()
        ):
            message = cast("Message", confirmation.message)  # filtered on its status
            channel = message.get_channel_display()
            TicketEvent.objects.create(
                ticket=ticket,
                at=message.sent_at or timezone.now(),
                kind=TicketEvent.Kind.NOTE,
                message=f"Confirmation sent by {channel} to {confirmation.recipient_masked}.",
            )
    for confirmation in (
        _confirmations(ticket)
        .filter(noted_at__isnull=True, delivery__status=DeliveryStatus.DELIVERED)
        .select_related("delivery")
    ):
        if Confirmation.objects.filter(pk=confirmation.pk, noted_at__isnull=True).update(
            noted_at=timezone.now()
        ):
            TicketEvent.objects.create(
                ticket=ticket,
                at=cast("Delivery", confirmation.delivery).delivered_at or timezone.now(),
                kind=TicketEvent.Kind.NOTE,
                message=(f"In-app confirmation acknowledged by {confirmation.recipient_masked}."),
            )


@transaction.atomic
def ticket_close_if_done(*, ticket: Ticket) -> bool:
    """Close an applied ticket once every confirmation is sent and every downstream
    delivery acknowledged; True if this call closed it. Safe to call any number of
    times, from any number of workers at once (the ticket row is locked)."""
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    _note_sent(locked)
    if locked.state != State.APPLIED or rules.close_problem(locked) is not None:
        return False
    transition(
        ticket=locked,
        to=State.CLOSED,
        by=None,
        reason=_closing_reason(locked),
        service=True,
    )
    audit_record(
        action="ticket.closed",
        client=locked.client,
        target=locked,
        data={"reference": locked.reference},
    )
    ticket.refresh_from_db(fields=["state", "updated_at"])
    return True


def _closing_reason(ticket: Ticket) -> str:
    # Honest: "every system has the change" only when some system was to be told.
    # The customer's in-app notification is a confirmation, not a system told the change.
    if Delivery.objects.filter(ticket_id=ticket.pk).exclude(event__type=NOTIFICATION_TYPE).exists():
        return "The customer is told and every downstream system has the change."
    return "The customer is told; no downstream system receives this change."


def ticket_close_after_message(*, message_id: int) -> None:
    """A message was sent (`receivers`): if it confirms a ticket, the ticket may close."""
    ticket_id = (
        Message.objects.filter(pk=message_id, confirmation__isnull=False)
        .values_list("ticket_id", flat=True)
        .first()
    )
    if ticket_id is not None:
        ticket_close_if_done(ticket=Ticket.objects.get(pk=ticket_id))


def ticket_close_after_delivery(*, delivery_id: int) -> None:
    """A downstream system acknowledged a delivery (`receivers`): its ticket may close."""
    ticket_id = Delivery.objects.values_list("ticket_id", flat=True).get(pk=delivery_id)
    ticket_close_if_done(ticket=Ticket.objects.get(pk=ticket_id))


# --- "This wasn't me" ------------------------------------------------------------------------


def report_link_find(*, token: str) -> ReportLink:
    """The link a token names, if it can still be used; TokenError ("invalid",
    "expired", "used") otherwise."""
    digest = tokens.token_read(token)
    link = ReportLink.objects.filter(token_hash=digest).first()
    if link is None:
        raise tokens.TokenError("invalid")
    if link.used_at is not None:
        raise tokens.TokenError("used")
    if link.expires_at <= timezone.now():
        raise tokens.TokenError("expired")
    return link


@transaction.atomic
def report_confirm(*, token: str, request: HttpRequest | None = None) -> ReportLink:
    """The customer says a confirmed change was not theirs: freeze the profile, open a
    critical security ticket linked to the original (escalated), use up the link."""
    found = report_link_find(token=token)
    return report_link_use(link_id=found.pk, request=request)


@transaction.atomic
def report_link_use(*, link_id: int, request: HttpRequest | None = None) -> ReportLink:
    """`report_confirm` for a link already found: by its token, or by the customer signed in
    on the portal (profiledesk/portal), who reports a change confirmed to them. TokenError
    ("used", "expired") when the link can no longer be used."""
    link = ReportLink.objects.select_for_update().select_related("ticket").get(pk=link_id)
    if link.used_at is not None:  # a second click that waited for the lock
        raise tokens.TokenError("used")
    if link.expires_at <= timezone.now():
        raise tokens.TokenError("expired")
    original = link.ticket
    # A report link is sent for an applied ticket, which has its customer.
    customer = Customer.objects.get(pk=cast("int", original.customer_id))
    summary = f"Reported by the customer: this wasn't me ({original.reference})"

    if customer.frozen_at is None:  # already frozen: it stays so
        customer_freeze(customer=customer, by=None, reason=summary, request=request)
    report = ticket_create(
        client=original.client,
        channel="web",
        category=original.category,
        items=[],
        customer=customer,
        summary=summary,
        priority=Priority.URGENT,
    )
    if report.risk_level != RiskLevel.CRITICAL:
        report.risk_level = RiskLevel.CRITICAL
        report.risk_score = max(report.risk_score, 80)
        report.risk_reasons = [
            *report.risk_reasons,
            {"rule": "customer_report", "points": 80, "reason": summary},
        ]
        report._change_reason = "customer report"
        report.save(update_fields=["risk_level", "risk_score", "risk_reasons"])
    # The desk escalates it itself (by=None): a service's move skips the role check.
    transition(
        ticket=report,
        to=State.ESCALATED,
        by=None,
        reason=f"The customer reported {original.reference} as not theirs.",
        service=True,
    )
    now = timezone.now()
    TicketEvent.objects.create(
        ticket=original,
        at=now,
        kind=TicketEvent.Kind.NOTE,
        message=(
            f"The customer reported this change as not theirs: {report.reference} opened "
            "for security and the profile frozen."
        ),
    )
    link.used_at = now
    link.report_ticket = report
    link.save(update_fields=["used_at", "report_ticket"])
    audit_record(
        action="confirmation.reported",
        client=original.client,
        target=report,
        data={"reference": original.reference, "report": report.reference},
        request=request,
    )
    return link


@transaction.atomic
def report_close(
    *, ticket: Ticket, by: User, reason: str, request: HttpRequest | None = None
) -> Ticket:
    """Security closes a customer's "this wasn't me" report it has resolved (the rollback
    opened, or the change found to be the customer's own): under the row lock, the rule
    (a report ticket with no change captured) and then the move, which checks the role
    (security) and the reason. The profile stays frozen until security lifts the freeze
    itself (customers.services.customer_unfreeze): closing the report does not do it."""
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    problem = rules.report_close_problem(locked)
    if problem:
        raise TransitionError(problem)
    closed = transition(ticket=locked, to=State.CLOSED, by=by, reason=reason, service=True)
    audit_record(
        action="confirmation.report_closed",
        actor=by,
        client=closed.client,
        target=closed,
        data={"reference": closed.reference, "reason": reason.strip()},
        request=request,
    )
    return closed
