"""An inbound e-mail becomes a ticket (channel `email`), once per Message-ID and once per
signed webhook request (a replay inside the signature's window answers with the first ticket).

Like every ticket it starts in `new`, and an e-mail request always goes through identity
verification: a From address proves nothing (it is trivial to forge). The body becomes the
ticket's first comment with card-like numbers redacted (by ticket_create); HTML is reduced
to text and never kept. Attachments of an allowed type and size are kept on the ticket;
the others are named in a comment and dropped.
"""

import hashlib
import os
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from profiledesk.clients.models import Client
from profiledesk.files import deleted_on_failure, sniff_type
from profiledesk.intake.validators import strip_invisible
from profiledesk.tickets.models import Attachment, Channel, Ticket
from profiledesk.tickets.services import ticket_comment, ticket_create
from profiledesk.vault.cards import redact_card_numbers

from .models import InboundDelivery, InboundMessage
from .parsing import InboundEmail, InboundFile
from .routing import client_for, customer_for, guess_category

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10


class InboundError(Exception):
    """The e-mail cannot become a ticket; the message says why."""


@dataclass(frozen=True)
class Ingested:
    ticket: Ticket
    created: bool  # False: this Message-ID or this signed request was ingested before
    matched: bool  # the sender is a known customer of the client


def _safe_name(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/")) or "attachment"
    try:
        cleaned = get_valid_filename(redact_card_numbers(base))[:150]
    except Exception:  # SuspiciousFileOperation for names like ".."
        cleaned = ""
    return cleaned or "attachment"


def _attach(ticket: Ticket, files: list[InboundFile], written: list[str]) -> None:
    refused = []
    for position, file in enumerate(files):
        name = _safe_name(file.name)
        content_type = sniff_type(file.content)
        if position >= MAX_ATTACHMENTS:
            refused.append(
                _("%(name)s (more than %(max)d attachments)")
                % {"name": name, "max": MAX_ATTACHMENTS}
            )
        elif len(file.content) > ATTACHMENT_MAX_BYTES:
            refused.append(
                _("%(name)s (larger than %(mb)d MB)")
                % {"name": name, "mb": ATTACHMENT_MAX_BYTES // (1024 * 1024)}
            )
        elif content_type is None:
            refused.append(_("%(name)s (not a PDF, JPEG or PNG file)") % {"name": name})
        else:
            attachment = Attachment(
                ticket=ticket,
                original_name=name,
                content_type=content_type,
                size=len(file.content),
                uploaded_at=timezone.now(),
            )
            # Saved before the row, and its name noted, so that a rollback can delete it.
            attachment.file.save(name, ContentFile(file.content), save=False)
            written.append(cast("str", attachment.file.name))  # set by save() above
            attachment.save()
    if refused:
        ticket_comment(
            ticket=ticket,
            by=None,
            body=_("Attachments not kept: %(list)s.") % {"list": "; ".join(refused)},
        )


def _comment(message: InboundEmail, *, matched: bool) -> str:
    lines = [
        _("Received by e-mail from %(sender)s.") % {"sender": message.sender or _("(no sender)")},
        _("Subject: %(subject)s") % {"subject": message.subject or _("(none)")},
        *message.notes,
    ]
    if not matched:
        lines.append(
            _(
                "No single customer of this client has the sender's address: match the request "
                "to a customer before verification."
            )
        )
    lines.append(_("Identity not verified: a sender address proves nothing."))
    return "\n".join(lines) + "\n\n" + (message.text or _("(The e-mail had no text.)"))


def message_id_hash(message_id: str) -> str:
    """The key of a Message-ID. A Message-ID with a card number in it (anyone can write
    one) is keyed with the desk's secret: a plain SHA-256 of 16 digits is reversed by
    trying them all (PCI DSS 3.5.1.1)."""
    if redact_card_numbers(message_id) == message_id:
        return hashlib.sha256(message_id.encode()).hexdigest()
    return salted_hmac("inbound.message-id", message_id, algorithm="sha256").hexdigest()


def _without_invisible(message: InboundEmail) -> InboundEmail:
    """Bidi controls and zero-width characters removed from the subject and the text
    (nobody can be asked to correct an e-mail), with a note saying so."""
    subject, stripped_subject = strip_invisible(message.subject)
    text, stripped_text = strip_invisible(message.text)
    if not (stripped_subject or stripped_text):
        return message
    note = _("Invisible or direction-changing characters were removed from this e-mail.")
    return replace(message, subject=subject, text=text, notes=[*message.notes, note])


def email_ingest(
    *, message: InboundEmail, client: Client | None = None, request_hash: str | None = None
) -> Ingested:
    """A ticket for `message`: for `client`, or the client its recipients name; once per
    Message-ID and once per signed webhook request (`request_hash`, from
    signature.verify). If the transaction fails, the attachment files it wrote are
    deleted (profiledesk.files)."""
    with deleted_on_failure() as written, transaction.atomic():
        return _ingest(
            message=_without_invisible(message),
            client=client,
            request_hash=request_hash,
            written=written,
        )


def _earlier(ticket: Ticket) -> Ingested:
    return Ingested(ticket=ticket, created=False, matched=ticket.customer_id is not None)


def _ingest(
    *, message: InboundEmail, client: Client | None, request_hash: str | None, written: list[str]
) -> Ingested:
    client = client or client_for(message.recipients)
    if client is None:
        raise InboundError(
            _("No client is addressed: send to requests+<client slug>@ the desk's domain.")
        )
    delivery = None
    if request_hash:
        # The unique index makes a concurrent replay wait for this transaction, then fail
        # here and answer with the ticket this one made.
        try:
            with transaction.atomic():
                delivery = InboundDelivery.objects.create(
                    request_hash=request_hash, received_at=timezone.now()
                )
        except IntegrityError:
            replayed = InboundDelivery.objects.select_related("ticket").get(
                request_hash=request_hash
            )
            # The replayed request's transaction committed with its ticket set.
            return _earlier(cast("Ticket", replayed.ticket))
    record = None
    if message.message_id:
        key = message_id_hash(message.message_id)
        try:
            with transaction.atomic():
                record = InboundMessage.objects.create(
                    client=client,
                    message_id_hash=key,
                    message_id=redact_card_numbers(message.message_id)[:255],
                    received_at=timezone.now(),
                )
        except IntegrityError:
            earlier = InboundMessage.objects.select_related("ticket").get(
                client=client, message_id_hash=key
            )
            if delivery is not None:
                delivery.ticket = earlier.ticket
                delivery.save(update_fields=["ticket"])
            # The earlier message's transaction committed with its ticket set.
            return _earlier(cast("Ticket", earlier.ticket))
    customer = customer_for(client, message.sender)
    ticket = ticket_create(
        client=client,
        channel=Channel.EMAIL,
        category=guess_category(message.subject, message.text),
        items=[],
        customer=customer,
        summary=_("By e-mail: %(subject)s") % {"subject": message.subject or _("(no subject)")},
        comment=_comment(message, matched=customer is not None),
    )
    if record is not None:
        record.ticket = ticket
        record.save(update_fields=["ticket"])
    if delivery is not None:
        delivery.ticket = ticket
        delivery.save(update_fields=["ticket"])
    _attach(ticket, message.attachments, written)
    return Ingested(ticket=ticket, created=True, matched=customer is not None)


def deliveries_purge(*, now: datetime | None = None) -> int:
    """Forget signed requests older than their signature's validity: a replay of one is
    refused as stale before it gets here."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=2 * settings.INBOUND_EMAIL_MAX_AGE)
    deleted, _kinds = InboundDelivery.objects.filter(received_at__lt=cutoff).delete()
    return deleted
