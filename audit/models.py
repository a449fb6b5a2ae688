"""Append-only audit events: what is not a model change (sign-ins, reveals, decisions).

Model changes are in django-simple-history tables; this log holds the rest. Each row
carries the hash of the previous one, so that a removed or altered row breaks the chain.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    created_at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=60, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Kept as text too: the username at the time, whatever happens to the account later.
    actor_username = models.CharField(max_length=150, blank=True)
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    # Never a secret: callers pass field names and masked values only.
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "-id"], name="audit_target"),
            models.Index(fields=["client", "-id"], name="audit_client"),
            models.Index(fields=["actor", "-id"], name="audit_actor"),
            # The compliance panels and the audit-events list: rare actions of some clients
            # over a range of days (audit/events.py) without reading the whole log.
            models.Index(fields=["client", "action", "created_at"], name="audit_client_action_at"),
        ]
        verbose_name = _("audit event")
        # The history pages (audit/views.py): compliance and supervisors.
        permissions = [
            ("view_history", "Can view customers' change history and audit trails"),
            ("reveal_history", "Can reveal a masked value of a past version (audited)"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} by {self.actor_username or '-'}"
