"""Change requests (docs/design.md §3): a ticket, its change items, its timeline, its attachments.

The ticket's `state` is changed only by `tickets.states.transition` (a test holds every
other module to it). Comments and other free text are stored with card-like numbers
redacted (vault.cards.redact_card_numbers).
"""

from typing import Self

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from profiledesk.clients.scoping import ClientScopedQuerySet
from profiledesk.policies.categories import Category


class State(models.TextChoices):
    NEW = "new", _("New")
    VERIFYING = "verifying", _("Verifying")
    VERIFICATION_FAILED = "verification_failed", _("Verification failed")
    READY = "ready", _("Ready")
    PENDING_APPROVAL = "pending_approval", _("Pending approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    APPLIED = "applied", _("Applied")
    CLOSED = "closed", _("Closed")
    ROLLED_BACK = "rolled_back", _("Rolled back")
    CANCELLED = "cancelled", _("Cancelled")
    ESCALATED = "escalated", _("Escalated to security")


# What the queue shows: work that still needs someone.
OPEN_STATES = [
    State.NEW,
    State.VERIFYING,
    State.VERIFICATION_FAILED,
    State.READY,
    State.PENDING_APPROVAL,
    State.APPROVED,
    State.ESCALATED,
]
_OPEN = Q(state__in=OPEN_STATES)


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    EMAIL = "email", _("E-mail")
    APP = "app", _("App")
    WEB = "web", _("Web")
    API = "api", _("API")
    # Opened by the desk itself, not asked for by a customer: a rollback (profiledesk/rollback).
    INTERNAL = "internal", _("Back office")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class TicketQuerySet(ClientScopedQuerySet["Ticket"]):
    client_field = "client"

    def open(self) -> Self:
        return self.filter(_OPEN)


def _queue_index(field: str) -> models.Index:
    # Queue filters are each an equality plus the (sla_due_at, id) keyset order.
    return models.Index(
        fields=[field, "sla_due_at", "id"], condition=_OPEN, name=f"ticket_open_{field}"[:30]
    )


class Ticket(models.Model):
    reference = models.CharField(_("reference"), max_length=16, unique=True, null=True)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="tickets")
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.NEW)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    risk_level = models.CharField(
        _("risk"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    risk_score = models.PositiveSmallIntegerField(_("risk score"), default=0)
    # [{"rule": ..., "points": ..., "reason": ...}], shown on the ticket as is.
    risk_reasons = models.JSONField(_("risk reasons"), default=list, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="created_tickets",
    )
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    # A rollback ticket (profiledesk/rollback) restores what this earlier ticket changed.
    rollback_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rollbacks",
        verbose_name=_("rolls back"),
    )
    sla_due_at = models.DateTimeField(_("SLA due"))
    # While the ticket waits on the customer the SLA clock stops (docs/design.md §5).
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    # Bumped whenever something the ticket page shows is written (tickets.live.ticket_touch):
    # the open pages' "has it changed?" poll compares it. A counter, not data of record:
    # not in the history.
    version = models.PositiveIntegerField(default=0, editable=False)
    history = HistoricalRecords(excluded_fields=["updated_at", "version"])
    # Read by simple-history when the row is saved: who made the change and why (set by
    # the services; not columns).
    _history_user: AbstractBaseUser | None
    _change_reason: str

    objects = TicketQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["sla_due_at", "id"], condition=_OPEN, name="ticket_open_due"),
            _queue_index("client"),
            _queue_index("state"),
            _queue_index("channel"),
            _queue_index("category"),
            _queue_index("risk_level"),
            _queue_index("assignee"),
            # The queue's other sorts (tickets.selectors.SORT_KEYS): oldest first, and
            # highest risk first then soonest due; each alone and after the client, the
            # filter every queue page has.
            models.Index(fields=["created_at", "id"], condition=_OPEN, name="ticket_open_age"),
            models.Index(
                fields=["client", "created_at", "id"],
                condition=_OPEN,
                name="ticket_open_client_age",
            ),
            models.Index(
                fields=["-risk_score", "sla_due_at", "id"], condition=_OPEN, name="ticket_open_risk"
            ),
            models.Index(
                fields=["client", "-risk_score", "sla_due_at", "id"],
                condition=_OPEN,
                name="ticket_open_client_risk",
            ),
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_recent"),
            # The dashboards' daily rebuild reads one client-day by this (dashboards/build.py).
            models.Index(fields=["client", "created_at"], name="ticket_client_created"),
            models.Index(fields=["client", "sla_due_at"], name="ticket_client_due"),
        ]
        permissions = [
            ("work_ticket", "Can create, claim and work change requests"),
            ("reassign_ticket", "Can reassign change requests"),
        ]

    def __str__(self) -> str:
        return self.reference or f"ticket {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_rollback(self) -> bool:
        """Opened by rollback_open (profiledesk/rollback): the only tickets on the Back
        office channel, which no start form, API or inbound e-mail can choose. No query."""
        return self.channel == Channel.INTERNAL


class ChangeItem(models.Model):
    """One field to change. Old values are kept masked; secrets only as vault tokens."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    section = models.CharField(max_length=30)  # a key of customers.models.PROFILE_SECTIONS
    field = models.CharField(max_length=60)
    # The row of a multi-row section being changed (an address, a phone); null: a new row.
    target_id = models.BigIntegerField(null=True, blank=True)
    label = models.CharField(max_length=100)
    old_display = models.CharField(max_length=300, blank=True)
    new_value = models.TextField(blank=True)
    new_display = models.CharField(max_length=300, blank=True)
    is_secret = models.BooleanField(default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.label}: {self.old_display or '—'} → {self.new_display}"


class TicketEvent(models.Model):
    """The ticket's timeline: transitions, comments and system notes, in order."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        TRANSITION = "transition", _("State change")
        COMMENT = "comment", _("Comment")
        ASSIGNED = "assigned", _("Assignment")
        NOTE = "note", _("Note")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["ticket", "at"], name="ticketevent_ticket_at"),
            # The dashboards' daily rebuild: one day's moves (dashboards/build.py).
            models.Index(fields=["at"], name="ticketevent_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"

    # The timeline speaks in labels ("Pending approval → Approved"), never in codes; a code
    # the table no longer knows is shown as it was stored.
    @property
    def from_state_label(self) -> str:
        return _state_label(self.from_state)

    @property
    def to_state_label(self) -> str:
        return _state_label(self.to_state)


def _state_label(code: str) -> str:
    return str(State(code).label) if code in State.values else code


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="tickets/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.original_name
