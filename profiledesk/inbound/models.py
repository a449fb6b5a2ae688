from django.db import models


class InboundMessage(models.Model):
    """An e-mail that became a ticket, by its Message-ID: providers redeliver a webhook
    they are not sure arrived, and the same .eml may be ingested twice."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    # SHA-256 of the Message-ID (which may be longer than an index allows).
    message_id_hash = models.CharField(max_length=64)
    message_id = models.CharField(max_length=255)
    # Set in the same transaction as the insert: never seen empty by another delivery.
    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, null=True, related_name="inbound_message"
    )
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "message_id_hash"], name="inbound_unique_client_message"
            )
        ]

    def __str__(self) -> str:
        return self.message_id
