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


class InboundDelivery(models.Model):
    """A signed webhook request the desk processed, by the hash of its signed bytes
    (timestamp and body). A signature stays valid for INBOUND_EMAIL_MAX_AGE seconds, so
    the same request replayed in that window, Message-ID or not, is answered with the
    ticket it made instead of opening another one. Rows older than the window are of no
    use (the signature is refused as stale) and are purged (inbound.deliveries_purge)."""

    request_hash = models.CharField(max_length=64, unique=True)
    # Set in the transaction that inserts the row: a replay waiting on the unique index
    # sees it filled in.
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, null=True, related_name="+"
    )
    received_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.request_hash
