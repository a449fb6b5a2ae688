"""Straight-through processing's rows: the per-client, per-category switch (the kill
switch), and every try on a ticket with its outcome.

A switch row is off unless a desk admin turned it on (no row: off). Every change keeps a
history row and an audit event (admin.py).

A try is written once per (ticket, evidence attempt): a second signal or a redelivered
task for the same pass finds its row and does nothing. A ticket is applied
automatically at most once (a partial unique constraint), whatever races.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from profiledesk.clients.scoping import ClientScopedQuerySet
from profiledesk.policies.categories import Category


class SwitchQuerySet(ClientScopedQuerySet["AutomationSwitch"]):
    client_field = "client"


class AutomationSwitch(models.Model):
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="automation_switches"
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    enabled = models.BooleanField(
        _("apply automatically"),
        default=False,
        help_text=_(
            "Requests from the client's app or API in this category, verified by the app's "
            "assertion or the identity provider, needing no approval and at low risk, are "
            "applied without an agent. Off: every request waits in the queue."
        ),
    )
    changed_at = models.DateTimeField(_("changed"), null=True, blank=True, editable=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    history = HistoricalRecords()

    objects = SwitchQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "category"], name="automation_switch_unique")
        ]
        ordering = ["client", "category"]
        verbose_name = _("automation switch")
        verbose_name_plural = _("automation switches")

    def __str__(self) -> str:
        state = _("on") if self.enabled else _("off")
        return f"{self.client} · {self.get_category_display()}: {state}"


class StraightThroughTry(models.Model):
    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied automatically")
        HELD = "held", _("Left in the queue")

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="straight_through_tries"
    )
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    # The pass that triggered the try (None: a try not started by a signal).
    attempt = models.ForeignKey(
        "verification.Attempt", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    # Why it was held (shown on the timeline too); the evidence named for an apply.
    reason = models.CharField(max_length=300, blank=True)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "attempt"],
                condition=Q(attempt__isnull=False),
                name="straight_through_once_per_pass",
            ),
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(outcome="applied"),
                name="straight_through_applied_once",
            ),
        ]
        indexes = [
            # The dashboards' daily rebuild: one client's automatic applies of a day.
            models.Index(fields=["client", "outcome", "at"], name="straight_through_day"),
        ]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.outcome} at {self.at:%Y-%m-%d %H:%M}"
