"""What a rollback ticket restores (DESIGN 7): one row per rollback ticket, naming its
source — an applied ticket (also `Ticket.rollback_of`) or one past version of a profile
row (a simple-history record, which has no ticket of its own to link to)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from profiledesk.tickets.models import Channel


class RollbackRequest(models.Model):
    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="rollback_request"
    )
    source_ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # A past version: the model ("customers.paymentcard") and its history row.
    model_label = models.CharField(max_length=100, blank=True)
    history_id = models.BigIntegerField(null=True, blank=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()

    class Meta:
        default_permissions = ("view",)
        permissions = [("request_rollback", "Can roll back an applied change (a new ticket)")]

    def __str__(self) -> str:
        return f"rollback {self.ticket_id}"


def is_rollback_ticket(ticket) -> bool:
    """Whether `ticket` was opened by rollback_open. Only they are opened "Back office",
    so every other ticket is answered without a query."""
    if ticket.channel != Channel.INTERNAL:
        return False
    return RollbackRequest.objects.filter(ticket_id=ticket.pk).exists()
