"""API keys of client systems, and the idempotency records of what they submitted.

A key is shown once when it is made (`create_api_key`); the desk keeps its prefix, to
find it, and a SHA-256 of the whole key, to check it. Keys are long random strings, so
a plain hash is enough (there is nothing to brute-force). A key is revoked, never
deleted: the tickets it submitted keep pointing at it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiKeyQuerySet(models.QuerySet):
    def active(self) -> "ApiKeyQuerySet":
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100, help_text=_("Which system uses it."))
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["client", "name"]
        verbose_name = _("API key")

    def __str__(self) -> str:
        return f"{self.name} (pdk_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """One `Idempotency-Key` a client used, the request it came with and its ticket.

    The unique constraint is what makes retries safe under concurrency: of two requests
    with the same key, the second waits on the first's insert and then replays its ticket.
    `request_hash` is an HMAC of the request body (it may hold a card number: an unkeyed
    hash of it could be brute-forced from BIN and last four).
    """

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, related_name="requests")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    # Set in the same transaction as the insert: never seen empty by another request.
    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, null=True, related_name="api_request"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="idempotency_unique_client_key")
        ]
        # services.idempotency_records_purge deletes by age.
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_at")]

    def __str__(self) -> str:
        return self.key
