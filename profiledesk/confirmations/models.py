"""Confirmations of applied changes (docs/design.md §6): which messages confirm a ticket, and the
single-use "this wasn't me" links they carry.

A `Confirmation` ties one outbox `Message` to the ticket it confirms, with the recipient
as staff may see it (masked) and why that contact was chosen. A `ReportLink` is the
customer's way to say "this wasn't me": the e-mail or SMS carries a signed token, the
desk keeps only its SHA-256, so neither the database nor staff can rebuild the link.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Reason(models.TextChoices):
    OLD_CONTACT = "old_contact", _("the contact that was replaced")
    NEW_CONTACT = "new_contact", _("the new contact")
    VERIFIED = "verified", _("a verified contact")
    PREFERRED = "preferred", _("the preferred contact")


class Confirmation(models.Model):
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.PROTECT, related_name="confirmations"
    )
    message = models.OneToOneField(
        "messaging.Message", on_delete=models.PROTECT, related_name="confirmation"
    )
    recipient_masked = models.CharField(max_length=254)
    reason = models.CharField(max_length=12, choices=Reason.choices)
    created_at = models.DateTimeField()
    # When the ticket's timeline recorded the message as sent (once).
    noted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("confirmation")

    def __str__(self) -> str:
        return f"confirmation of {self.ticket_id} to {self.recipient_masked}"


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
