"""The outbox of messages to customers (docs/design.md §6): one row a message, written in the
transaction of the action that causes it, sent by `messaging.tasks.send_message`.

A message that carries a secret (an OTP code) keeps its rendered content only as a
Fernet token (`body_encrypted`), wiped once the message is sent or given up; what staff
see (`subject`, `text_redacted`) has the secret replaced by "••••••". A message without
a secret keeps its rendered bodies in clear (`body_text`, `body_html`) as the record of
what the customer received.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from profiledesk.clients.scoping import ClientScopedQuerySet
from profiledesk.privacy.masking import mask_email, mask_phone


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class Status(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


# Work the sweep looks after: still to be sent, or claimed by a worker that may be gone.
PENDING_STATUSES = [Status.QUEUED, Status.SENDING]


class MessageQuerySet(ClientScopedQuerySet["Message"]):
    client_field = "client"


class Message(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    template = models.CharField(_("template"), max_length=60)
    language = models.CharField(_("language"), max_length=8)
    # What staff are shown: any secret replaced by "••••••".
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    text_redacted = models.TextField(_("text"))
    # The rendered message in clear, for messages without a secret.
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # The rendered message (subject, text, html) as a Fernet token, for messages with a
    # secret; emptied once sent or given up.
    body_encrypted = models.TextField(blank=True)
    has_secret = models.BooleanField(default=False)
    idempotency_key = models.CharField(max_length=255, unique=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the message should be with a worker by: the sweep re-queues it if it is still
    # queued (or sending) well after this.
    due_at = models.DateTimeField()
    provider_message_id = models.CharField(_("provider message id"), max_length=255, blank=True)
    # Written by the desk from the error's kind and code, never from the provider's text.
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["status", "due_at"],
                condition=Q(status__in=PENDING_STATUSES),
                name="message_pending_due",
            ),
            models.Index(fields=["ticket", "created_at"], name="message_ticket_created"),
        ]
        verbose_name = _("message")

    def __str__(self) -> str:
        # Admin titles, breadcrumbs and logs: the customer's address masked, as on the desk.
        return f"{self.get_channel_display()} to {self.recipient_masked} ({self.template})"

    @property
    def recipient_masked(self) -> str:
        if "@" in self.recipient:
            return mask_email(self.recipient)
        return mask_phone(self.recipient)
