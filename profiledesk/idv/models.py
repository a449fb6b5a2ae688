"""The identity provider's rows: a client's account with the provider (credentials sealed
at rest), the sessions the desk started, and the webhook events it has accepted.

Nothing here holds a secret in clear: the API key and the webhook signing secret are
Fernet tokens (`messaging.crypto`, the key connector secrets use), and the session's
link (a bearer URL: whoever has it can verify as the customer) is never stored — it goes
once into the messaging outbox, encrypted there as a secret.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from profiledesk.clients.scoping import ClientScopedQuerySet
from profiledesk.messaging import crypto

STRIPE_API = "https://api.stripe.com"


class AccountQuerySet(ClientScopedQuerySet["ProviderAccount"]):
    client_field = "client"


class ProviderAccount(models.Model):
    """A client's Stripe Identity account: the desk starts sessions with its secret key and
    checks the decisions' webhooks with its endpoint's signing secret."""

    client = models.OneToOneField(
        "clients.Client", on_delete=models.PROTECT, related_name="identity_provider"
    )
    base_url = models.URLField(
        _("API base URL"),
        max_length=200,
        default=STRIPE_API,
        help_text=_("https://api.stripe.com unless the provider says otherwise."),
    )
    secret_key_sealed = models.TextField(editable=False)
    webhook_secret_sealed = models.TextField(editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("identity provider account")

    def __str__(self) -> str:
        return f"Stripe Identity for {self.client}"

    def clean(self) -> None:
        allow_http = getattr(settings, "IDV_ALLOW_HTTP", settings.DEBUG)
        parts = urlsplit(self.base_url or "")
        if self.base_url and parts.scheme != "https" and not allow_http:
            raise ValidationError({"base_url": _("Use an https:// URL: the key travels with it.")})
        if parts.username is not None or parts.query or parts.fragment:
            raise ValidationError(
                {"base_url": _("Give the base URL only: no credentials, query or fragment.")}
            )

    def set_secret_key(self, value: str) -> None:
        self.secret_key_sealed = crypto.seal({"secret": value})

    def secret_key(self) -> str:
        """In memory only; ValueError if the desk's keys cannot open it."""
        return crypto.unseal(self.secret_key_sealed)["secret"]

    def set_webhook_secret(self, value: str) -> None:
        self.webhook_secret_sealed = crypto.seal({"secret": value})

    def webhook_secret(self) -> str:
        return crypto.unseal(self.webhook_secret_sealed)["secret"]


class SessionStatus(models.TextChoices):
    # The desk's own states around the provider's (requires_input, processing, verified,
    # canceled): what the ticket page says.
    STARTING = "starting", _("Starting: waiting for the provider")
    RETRYING = "retrying", _("Provider unreachable, retrying")
    SENT = "sent", _("Link sent: waiting for the customer")
    PROCESSING = "processing", _("The provider is checking the document")
    VERIFIED = "verified", _("Verified by the provider")
    DECLINED = "declined", _("Declined by the provider")
    CANCELED = "canceled", _("Canceled")
    FAILED = "failed", _("Could not be started")


# The statuses in which a session is still on its way (one per ticket at a time).
OPEN_STATUSES = [
    SessionStatus.STARTING,
    SessionStatus.RETRYING,
    SessionStatus.SENT,
    SessionStatus.PROCESSING,
]
# Where a worker still has to reach the provider.
PENDING_STATUSES = [SessionStatus.STARTING, SessionStatus.RETRYING]


class SessionQuerySet(ClientScopedQuerySet["IdentitySession"]):
    client_field = "client"


class IdentitySession(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="identity_sessions"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="identity_sessions"
    )
    status = models.CharField(max_length=12, choices=SessionStatus.choices)
    # The provider's VerificationSession id ("vs_…"), once it answered.
    provider_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    # Where the link goes: a verified contact on file ("email:12" / "phone:7"), and masked.
    contact_key = models.CharField(max_length=40)
    contact_masked = models.CharField(max_length=254)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    tries = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    # The provider's last_error.code (or the desk's reason when it could not start): a
    # short machine word, never the provider's free text.
    error_code = models.CharField(max_length=64, blank=True)
    attempt = models.OneToOneField(
        "verification.Attempt", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["ticket", "-created_at"], name="idv_session_ticket"),
            models.Index(fields=["status", "next_try_at"], name="idv_session_due"),
        ]

    def __str__(self) -> str:
        return f"identity session {self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class WebhookEvent(models.Model):
    """A provider event the desk has accepted (signature and timestamp good): its id is
    remembered, so a replay — the same event sent again, by the provider's retry or by
    someone who recorded it — changes nothing."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    session = models.ForeignKey(
        IdentitySession, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    received_at = models.DateTimeField()
    outcome = models.CharField(max_length=40)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "event_id"], name="idv_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
