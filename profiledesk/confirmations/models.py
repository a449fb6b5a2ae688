"""Confirmations of applied changes (docs/design.md §6): which messages confirm a ticket, and the
single-use "this wasn't me" links they carry.

A `Confirmation` ties one outbox `Message` (e-mail, SMS) — or, for a customer who chose
"confirm changes in the app", one `customer.notification` `connectors.Delivery` to the
client's communications system — to the ticket it confirms, with the recipient as staff
may see it (masked; the system's name for the app) and why that contact was chosen. A
`ReportLink` is the customer's way to say "this wasn't me": the e-mail, SMS or in-app
notification carries a signed token, the desk keeps only its SHA-256, so neither the
database nor staff can rebuild the link.
"""

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Shown status of a confirmation, whichever outbox carries it: (label, badge).
_DONE = {"sent", "delivered"}
_LOST = {"failed", "gave_up"}


class Reason(models.TextChoices):
    OLD_CONTACT = "old_contact", _("the contact that was replaced")
    NEW_CONTACT = "new_contact", _("the new contact")
    VERIFIED = "verified", _("a verified contact")
    PREFERRED = "preferred", _("the preferred contact")
    # The customer chose the app, and the client has no active communications system.
    FALLBACK = "fallback", _("instead of the app: no communications system")


class Confirmation(models.Model):
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.PROTECT, related_name="confirmations"
    )
    # Exactly one of the two: an e-mail or SMS, or the in-app notification's delivery.
    message = models.OneToOneField(
        "messaging.Message",
        on_delete=models.PROTECT,
        related_name="confirmation",
        null=True,
        blank=True,
    )
    delivery = models.OneToOneField(
        "connectors.Delivery",
        on_delete=models.PROTECT,
        related_name="confirmation",
        null=True,
        blank=True,
    )
    recipient_masked = models.CharField(max_length=254)
    reason = models.CharField(max_length=12, choices=Reason.choices)
    created_at = models.DateTimeField()
    # When the ticket's timeline recorded the message as sent (once).
    noted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("confirmation")
        # The dashboards' daily rebuild: one day's confirmations (dashboards/build.py).
        indexes = [models.Index(fields=["created_at"], name="confirmation_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(message__isnull=False, delivery__isnull=True)
                | Q(message__isnull=True, delivery__isnull=False),
                name="confirmation_message_or_delivery",
            )
        ]

    def __str__(self) -> str:
        return f"confirmation of {self.ticket_id} to {self.recipient_masked}"

    # What the ticket page, the history pages and the exports show, whichever outbox
    # carries it (select_related "message" and "delivery" first).
    @property
    def in_app(self) -> bool:
        return self.delivery_id is not None

    @property
    def channel(self) -> str:
        return "app" if self.message is None else self.message.channel

    @property
    def channel_label(self) -> str:
        return str(_("App")) if self.message is None else self.message.get_channel_display()

    @property
    def status(self) -> str:
        if self.message is not None:
            return self.message.status
        return self.delivery.status if self.delivery is not None else ""

    @property
    def status_label(self) -> str:
        if self.message is not None:
            return self.message.get_status_display()
        return self.delivery.get_status_display() if self.delivery is not None else ""

    @property
    def done_at(self) -> "dt.datetime | None":
        if self.message is not None:
            return self.message.sent_at
        return self.delivery.delivered_at if self.delivery is not None else None

    @property
    def last_error(self) -> str:
        outbox = self.message if self.message is not None else self.delivery
        return outbox.last_error if outbox is not None else ""

    @property
    def badge(self) -> str:
        if self.status in _DONE:
            return "success"
        if self.status in _LOST:
            return "danger"
        return "warning" if self.status == "failing" else "secondary"


class ReportLink(models.Model):
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="+")
    confirmation = models.OneToOneField(
        Confirmation, on_delete=models.PROTECT, related_name="report_link"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=8, default="en")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # The security ticket the report opened.
    report_ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("report link")

    def __str__(self) -> str:
        return f"report link of ticket {self.ticket_id}"
