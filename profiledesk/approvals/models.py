"""Approvals (docs/design.md §5): who signed which exact diff of a ticket, at which tier.

An `ApprovalRound` is one submission of a ticket for approval: the tiers and the number
of approvers per tier it needs (fixed when it is submitted), the tier it waits at — what
the approval queue lists — and when that tier is due. An `Approval` is one decision in a
round, with the hash of the change items it saw; editing an item voids every approval on
the ticket.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ApprovalRound(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Waiting")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        VOIDED = "voided", _("Voided")

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="approval_rounds"
    )
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    tiers_needed = models.PositiveSmallIntegerField()
    per_tier = models.PositiveSmallIntegerField(default=1)
    # The tier the round waits at (1 supervisors, 2 compliance); 0 once it is closed.
    current_tier = models.PositiveSmallIntegerField()
    diff_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField()
    # When the tier the round waits at is due: the policy's approval SLA on the client's
    # calendar, counted from when that tier started waiting (null: rounds from before).
    tier_due_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The verification the ticket was submitted on (approvals.rules.verification_snapshot):
    # level, methods, when and by whom, valid until. What the approvers rely on.
    verification = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(status="open"), name="approvalround_one_open"
            )
        ]
        indexes = [
            # The approval queue: open rounds of some clients at one tier, oldest first.
            models.Index(
                fields=["current_tier", "client", "submitted_at", "id"],
                condition=Q(status="open"),
                name="approvalround_queue",
            )
        ]

    def __str__(self) -> str:
        return f"approval round {self.pk} of ticket {self.ticket_id}"


class Approval(models.Model):
    class Decision(models.TextChoices):
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="approvals")
    round = models.ForeignKey(ApprovalRound, on_delete=models.CASCADE, related_name="approvals")
    tier = models.PositiveSmallIntegerField()
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approvals"
    )
    decision = models.CharField(max_length=8, choices=Decision.choices)
    reason = models.TextField(blank=True)
    diff_hash = models.CharField(max_length=64)
    decided_at = models.DateTimeField()
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["decided_at", "id"]
        # The dashboards' daily rebuild: one day's decisions (dashboards/build.py).
        indexes = [models.Index(fields=["decided_at"], name="approval_decided")]
        constraints = [
            # One standing decision per person and ticket, whatever the tier: a second
            # request (double click, two tabs) cannot add a second one.
            models.UniqueConstraint(
                fields=["ticket", "approver"],
                condition=Q(voided_at__isnull=True),
                name="approval_one_per_person",
            )
        ]
        permissions = [
            ("approve_tier1", "Can approve change requests at tier 1 (supervisor)"),
            ("approve_tier2", "Can approve change requests at tier 2 (compliance)"),
            ("freeze_customer", "Can freeze and unfreeze a customer's profile"),
        ]

    def __str__(self) -> str:
        return f"{self.decision} at tier {self.tier} by {self.approver_id}"

    @property
    def is_valid(self) -> bool:
        return self.voided_at is None
