"""Staff notifications (issue 16): a line in the desk for the staff member who owns a
ticket when it breaches its SLA, is rejected, or comes back from approval.

A notification carries no customer data: its sentence is made from its kind and the
ticket's reference when it is shown (`sentence`), never stored as free text. `key` makes
it one: the timeline event of the move (`event:<id>`) or the due time that was breached
(`due:<iso time>`), unique per recipient, ticket and kind — a beat run twice, two beats,
or a signal delivered twice insert nothing more.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    SLA_BREACHED = "sla_breached", _("SLA breached")
    REJECTED = "rejected", _("Rejected")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Back from approval")


# What each kind says, with the ticket's reference and nothing else.
SENTENCES = {
    Kind.SLA_BREACHED: _("%(reference)s has breached its SLA."),
    Kind.REJECTED: _("%(reference)s was rejected."),
    Kind.APPROVED: _("%(reference)s was approved: it is ready to apply."),
    Kind.RETURNED: _("%(reference)s came back from approval: its approvals were voided."),
}


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("when"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "ticket", "kind", "key"], name="notification_once"
            )
        ]
        indexes = [
            # The list page: a recipient's notifications, newest first (keyset on id).
            models.Index(fields=["recipient", "-id"], name="notification_newest"),
            # The unread badge: counted over the unread rows only.
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
            # The beat's "already told of this breach?" per ticket.
            models.Index(fields=["ticket", "kind", "created_at"], name="notification_ticket"),
        ]
        verbose_name = _("notification")

    def __str__(self) -> str:
        return f"{self.kind} of ticket {self.ticket_id} for {self.recipient_id}"

    @property
    def text(self) -> str:
        """The sentence shown (select the ticket with the row: it reads its reference)."""
        return str(SENTENCES[Kind(self.kind)]) % {"reference": self.ticket.reference}
