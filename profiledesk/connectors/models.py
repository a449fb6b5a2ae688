"""Downstream systems of a client (docs/design.md §6): a Connector per system, and the Delivery
outbox of signed JSON events to them.

A connector's secret is kept only as a Fernet token (`secret_encrypted`, the key of
`messaging.crypto`): it signs the events and is never shown again after it is saved.
A Delivery is written in the transaction of the action that causes it (the apply
engine calls `connectors.services.deliveries_create`) and sent by
`connectors.tasks.deliver`.
"""

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from profiledesk.clients.scoping import ClientScopedQuerySet
from profiledesk.messaging import crypto
from profiledesk.policies.categories import Category

from .encryption import public_jwk_clean

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Kind(models.TextChoices):
    CRM = "crm", _("CRM")
    BILLING = "billing", _("Billing")
    SUPPORT = "support", _("Support")
    COMMUNICATIONS = "communications", _("Communications")
    # Receives security commands (password reset, 2FA reset, sign out everywhere).
    IDENTITY = "identity", _("Identity")


class Mode(models.TextChoices):
    # The scoped values travel in the signed event (encrypted when a public key is set).
    FULL = "full", _("Full: the values are in the event")
    # The signed event names the change; the receiver fetches the values once, with the
    # client's API key, within CONNECTOR_THIN_FETCH_HOURS (Stripe's thin events).
    THIN = "thin", _("Thin: the event names the change, the receiver fetches the values")


class ConnectorQuerySet(ClientScopedQuerySet["Connector"]):
    client_field = "client"


class Connector(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    url = models.URLField(_("URL"), max_length=500)
    # The signing secret as a Fernet token; never shown, never logged.
    secret_encrypted = models.TextField(editable=False)
    # Category values (policies.categories.Category) whose changes this system receives.
    categories = models.JSONField(_("categories"), default=list)
    # Field keys ("emailaddress.email") the system receives in clear; nothing else is sent
    # (connectors/scopes.py). Empty: it learns which fields changed, not their values.
    scope = models.JSONField(_("data scope"), default=list, blank=True)
    mode = models.CharField(
        _("delivery mode"), max_length=8, choices=Mode.choices, default=Mode.FULL
    )
    # The receiver's public JWK (connectors/encryption.py: checked, private members never
    # kept); set, the scoped values go as a JWE only the receiver's private key opens.
    encryption_key = models.JSONField(_("public key (JWK)"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConnectorQuerySet.as_manager()

    class Meta:
        ordering = ["client", "name"]
        constraints = [
            models.UniqueConstraint(fields=["client", "name"], name="connector_unique_client_name")
        ]
        verbose_name = _("connector")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}
        allow_http = getattr(settings, "CONNECTOR_ALLOW_HTTP", settings.DEBUG)
        if self.url and not self.url.lower().startswith("https://") and not allow_http:
            errors["url"] = _("Use an https:// URL: events carry customer data.")
        elif self.url and urlsplit(self.url).username is not None:
            # The URL is shown in the admin and recorded in audit events: no credentials.
            errors["url"] = _("Leave credentials out of the URL: the signing secret is enough.")
        unknown = [c for c in self.categories or [] if c not in Category.values]
        if unknown:
            errors["categories"] = _("Unknown categories: %(c)s") % {"c": ", ".join(unknown)}
        elif not self.categories:
            errors["categories"] = _("Choose at least one category.")
        if self.encryption_key is not None:
            try:
                self.encryption_key = public_jwk_clean(self.encryption_key)
            except ValidationError as error:
                errors["encryption_key"] = error.messages[0]
        if errors:
            raise ValidationError(errors)

    def set_secret(self, secret: str) -> None:
        self.secret_encrypted = crypto.seal({"secret": secret})

    def secret(self) -> str:
        """The signing secret in clear (in memory only); ValueError if undecryptable."""
        return crypto.unseal(self.secret_encrypted)["secret"]

    def receives(self, category: str) -> bool:
        return category in (self.categories or [])


class Status(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILING = "failing", _("Failing")
    GAVE_UP = "gave_up", _("Gave up")


# The type of an event to the customer through the client's own app (a communications
# system): masked text the desk wrote, no profile field values, so no data scope
# applies to it (services.notification_create).
NOTIFICATION_TYPE = "customer.notification"

# Work a worker (or the sweep) still has to do.
OPEN_STATUSES = [Status.PENDING, Status.FAILING]


class DeliveryQuerySet(ClientScopedQuerySet["Delivery"]):
    client_field = "client"


class Delivery(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.PROTECT, related_name="deliveries"
    )
    connector = models.ForeignKey(Connector, on_delete=models.PROTECT, related_name="deliveries")
    # The customer's event order (EventSequence): a connector gets a customer's events
    # one after the other, never a later one before an earlier one is done. Null on
    # deliveries written before the order existed (they wait for nothing).
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sequence = models.PositiveBigIntegerField(null=True, blank=True)
    # The JSON body sent, exactly: the fields of the connector's scope in clear, never a
    # secret or a card number (a card is its vault token). The admin shows it masked.
    # With a public key, "data_jwe" (encrypted once, here) instead of "data"; for a thin
    # connector, the change named without values and where to fetch them.
    event = models.JSONField()
    event_id = models.CharField(max_length=64)
    # "<event id>:<connector id>": the same across every retry of this delivery.
    idempotency_key = models.CharField(max_length=255, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the next attempt is due; the sweep re-queues an open delivery well past it.
    next_attempt_at = models.DateTimeField(_("next attempt"))
    # A worker holds the delivery until then (a conditional UPDATE sets it); a worker
    # that dies leaves it to expire.
    locked_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # Written by the desk from the error's kind and HTTP code, never from the answer.
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"))
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    # A thin connector's delivery: what a full event would have carried (values in clear
    # or as a JWE), fetched once by id through the API, then wiped; wiped at
    # `fetch_expires_at` if never fetched (connectors/thin.py).
    fetch_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    fetch_payload = models.JSONField(null=True, blank=True, editable=False)
    fetch_expires_at = models.DateTimeField(_("fetch expires"), null=True, blank=True)
    fetched_at = models.DateTimeField(_("fetched"), null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=Q(status__in=OPEN_STATUSES),
                name="delivery_open_due",
            ),
            models.Index(fields=["ticket", "created_at"], name="delivery_ticket_created"),
            # The dashboards' daily rebuild: one client-day (dashboards/build.py).
            models.Index(fields=["client", "created_at"], name="delivery_client_created"),
            # "Is an earlier event of this customer still on its way to this system?"
            models.Index(
                fields=["connector", "customer", "sequence"],
                condition=Q(status__in=OPEN_STATUSES),
                name="delivery_open_order",
            ),
            models.Index(fields=["connector", "customer", "sequence"], name="delivery_order"),
            models.Index(
                fields=["client", "status"],
                condition=Q(status__in=[Status.FAILING, Status.GAVE_UP]),
                name="delivery_client_troubled",
            ),
            # The purge of thin payloads nobody fetched in time.
            models.Index(
                fields=["fetch_expires_at"],
                condition=Q(fetch_payload__isnull=False),
                name="delivery_fetch_waiting",
            ),
        ]
        permissions = [("retry_delivery", "Can retry a delivery to a downstream system by hand")]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.event_id} → {self.connector_id} ({self.status})"


class EventSequence(models.Model):
    """The last event number given to a customer's events: the apply that writes the next
    event takes this row's lock, so two applies for one customer number their events in
    the order they commit."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.last}"
