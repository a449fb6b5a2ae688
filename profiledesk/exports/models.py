"""Evidence exports and data-subject access exports (docs/design.md §7, GDPR Art. 15).

An Export is requested by a compliance member, built in the background by the Celery
task `exports.build` (progress in `done` / `total`), kept as a file in the private
default storage (never served by URL: only through the download view, which audits
every download) and purged after `EXPORT_RETENTION_DAYS`; the row stays as the record.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from profiledesk.clients.scoping import ClientScopedQuerySet


class Kind(models.TextChoices):
    CUSTOMER_HISTORY = "customer_history", _("Customer history")
    AUDIT_EVENTS = "audit_events", _("Audit events")
    DSAR = "dsar", _("Data-subject access (GDPR Art. 15)")


class Format(models.TextChoices):
    CSV = "csv", "CSV"
    JSON = "json", "JSON"


class Status(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


# A worker still has to do (or is doing) these.
OPEN_STATUSES = [Status.QUEUED, Status.RUNNING]


class ExportQuerySet(ClientScopedQuerySet["Export"]):
    client_field = "client"


class Export(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    # Parameters: the customer (history, DSAR) or the range [since, until) (audit events).
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    since = models.DateTimeField(_("from"), null=True, blank=True)
    until = models.DateTimeField(_("until (exclusive)"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    # Progress: rows written so far of about `total` (an estimate for histories).
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True, max_length=200)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    # Written by the desk from the error's kind, never from its text (it may hold data).
    error = models.CharField(_("error"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("requested"))
    # Touched by every progress save: a running export whose worker died goes stale.
    updated_at = models.DateTimeField()
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    purged_at = models.DateTimeField(_("file deleted"), null=True, blank=True)

    objects = ExportQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["client", "-id"], name="export_client_newest"),
            models.Index(
                fields=["expires_at"],
                condition=Q(purged_at__isnull=True, expires_at__isnull=False),
                name="export_to_purge",
            ),
            models.Index(
                fields=["status", "updated_at"],
                condition=Q(status__in=OPEN_STATUSES),
                name="export_open",
            ),
        ]
        permissions = [
            (
                "export_evidence",
                "Can request and download evidence and data-subject exports (audited)",
            )
        ]
        verbose_name = _("export")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.format})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def percent(self) -> int:
        if self.status == Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, int(self.done * 100 / self.total))

    @property
    def last_moment(self):
        """The range's end as people read it: the last day included, not the next midnight."""
        return self.until - dt.timedelta(microseconds=1) if self.until else None

    @property
    def filename(self) -> str:
        subject = f"-{self.customer.number}" if self.customer is not None else ""
        # Customer numbers come from the client's systems: a "/" or ".." in one must not
        # make a folder of the storage or fail the build (SuspiciousFileOperation).
        return get_valid_filename(
            f"{self.client.slug}-{self.kind}{subject}-{self.pk}.{self.format}"
        )
