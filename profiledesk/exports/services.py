"""Writing exports: request one (audited), build it in the background, download it
(audited), purge expired files, sweep exports whose task was lost.

`export_request` writes the row in the caller's transaction and queues
`exports.build(id)` on commit (ids only). The task claims the row with a conditional
UPDATE (queued -> running), so a task run twice or redelivered builds one file.
"""

import csv
import datetime as dt
import hashlib
import io
import json
import logging
import tempfile
from collections.abc import Callable

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from profiledesk.accounts.models import User
from profiledesk.clients.models import Client
from profiledesk.customers.models import Customer
from profiledesk.replica import replica_reads_when_current
from profiledesk.storage import StorageUnavailable

from . import content
from .models import Export, Format, Kind, Status

logger = logging.getLogger(__name__)


class ExportError(Exception):
    """A request the desk refuses; the message is safe to show."""


def batch_size() -> int:
    return int(getattr(settings, "EXPORT_BATCH_SIZE", 500))


def retention() -> dt.timedelta:
    return dt.timedelta(days=int(getattr(settings, "EXPORT_RETENTION_DAYS", 7)))


@transaction.atomic
def export_request(
    *,
    by: User,
    kind: str,
    fmt: str,
    client: Client,
    customer: Customer | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> Export:
    """Record the request (an audit event) and queue the build once it commits."""
    if kind not in Kind.values or fmt not in Format.values:
        raise ExportError(_("Unknown kind or format of export."))
    if kind == Kind.DSAR and fmt != Format.JSON:
        raise ExportError(_("A data-subject access export is JSON."))
    if kind == Kind.AUDIT_EVENTS:
        if since is None or until is None or until <= since:
            raise ExportError(_("Give a date range whose end is after its start."))
        customer = None
    else:
        if customer is None or customer.client_id != client.pk:
            raise ExportError(_("Choose a customer of this client."))
        since = until = None
    now = timezone.now()
    export = Export.objects.create(
        client=client,
        requested_by=by,
        kind=kind,
        format=fmt,
        customer=customer,
        since=since,
        until=until,
        created_at=now,
        updated_at=now,
    )
    data: dict[str, object] = {"kind": kind, "format": fmt}
    if customer is not None:
        data["customer_id"] = customer.pk
    if since is not None:
        data.update(since=content.iso(since), until=content.iso(until))
    audit_record(
        action="export.requested",
        actor=by,
        client=client,
        target=export,
        data=data,
        request=request,
    )
    _enqueue(export.pk)
    return export


def _enqueue(export_id: int) -> None:
    # A broker outage must not fail a committed request: the sweep queues it later.
    transaction.on_commit(lambda: _publish(export_id))


def _publish(export_id: int) -> None:
    # Imported here: tasks.py imports this module (Celery's services <-> tasks cycle).
    from .tasks import build

    try:
        build.delay(export_id)
    except Exception as error:  # kombu / redis errors: the broker is unreachable
        logger.warning(
            "export %s not queued (%s); the sweep will queue it", export_id, type(error).__name__
        )


# --- the build (the task's work) ----------------------------------------------------------


def export_claim(*, export_id: int) -> bool:
    """queued -> running; False if another run has it (or it is finished)."""
    now = timezone.now()
    return (
        Export.objects.filter(pk=export_id, status=Status.QUEUED).update(
            status=Status.RUNNING, done=0, updated_at=now
        )
        == 1
    )


def export_build(*, export_id: int) -> str:
    """Build the export's file if it is queued; "skipped" if another run has it."""
    if not export_claim(export_id=export_id):
        return "skipped"
    export = Export.objects.select_related("client", "customer", "requested_by").get(pk=export_id)
    try:
        _write(export)
    except Exception as error:
        # The error's text may quote customer data: the row and the log say only what
        # kind of error it was.
        logger.error("export %s failed: %s", export_id, type(error).__name__)
        if isinstance(error, StorageUnavailable):
            reason = _("The file store could not be reached; request the export again.")
        else:
            reason = _("The export could not be built (%(kind)s).") % {"kind": type(error).__name__}
        Export.objects.filter(pk=export_id, status=Status.RUNNING).update(
            status=Status.FAILED,
            error=reason,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        return "failed"
    return "done"


def _write(export: Export) -> None:
    # The rows come from the replica if one is configured and has replayed every row
    # committed before the build began (an evidence file must not silently miss the
    # latest: else the primary); the export's own row and progress are written (and the
    # claim was made) on the primary.
    with replica_reads_when_current():
        _write_rows(export)


def _write_rows(export: Export) -> None:
    batch = batch_size()
    plan = content.plan_for(export, batch=batch)
    export.total = plan.total
    export.updated_at = timezone.now()
    export.save(update_fields=["total", "updated_at"])

    digest = hashlib.sha256()
    with tempfile.TemporaryFile() as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")

        def emit(chunk: str) -> None:
            text.write(chunk)
            digest.update(chunk.encode())

        def progress(done: int) -> None:
            export.done = done
            export.total = max(export.total, done)
            export.updated_at = timezone.now()
            export.save(update_fields=["done", "total", "updated_at"])

        if export.format == Format.CSV:
            _write_csv(plan, emit, progress, batch)
        else:
            _write_json(plan, emit, progress, batch)
        text.flush()
        raw.seek(0)
        if export.file:  # a build started again after its worker died
            export.file.delete(save=False)
        export.file.save(export.filename, File(raw), save=False)
        text.detach()
    now = timezone.now()
    export.sha256 = digest.hexdigest()
    export.size = export.file.size
    export.total = export.done
    export.status = Status.DONE
    export.finished_at = now
    export.updated_at = now
    export.expires_at = now + retention()
    export.save(
        update_fields=[
            "file",
            "sha256",
            "size",
            "total",
            "done",
            "status",
            "finished_at",
            "updated_at",
            "expires_at",
        ]
    )


def _write_csv(
    plan: content.Plan, emit: Callable[[str], None], progress: Callable[[int], None], batch: int
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(plan.columns)
    done = 0
    for name, items in plan.sections:
        for item in items:
            if name == plan.csv_section:
                writer.writerows(content.csv_cells(plan, item))
            done += 1
            if done % batch == 0:
                emit(buffer.getvalue())
                buffer.seek(0)
                buffer.truncate()
                progress(done)
    emit(buffer.getvalue())
    progress(done)


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _write_json(
    plan: content.Plan, emit: Callable[[str], None], progress: Callable[[int], None], batch: int
) -> None:
    # Streamed: the header's keys, then each section as an array written item by item.
    head = _dumps(plan.header)
    emit(head[:-1] if plan.header else "{")
    first_key = not plan.header
    done = 0
    for name, items in plan.sections:
        emit(("" if first_key else ", ") + f"{_dumps(name)}: [")
        first_key = False
        first = True
        for item in items:
            emit(("" if first else ", ") + _dumps(item))
            first = False
            done += 1
            if done % batch == 0:
                progress(done)
        emit("]")
    emit("}\n")
    progress(done)


# --- download, purge, sweep ---------------------------------------------------------------


class NotReady(ExportError):
    pass


class Gone(ExportError):
    pass


def export_open_for_download(
    *, export: Export, by: User, request: HttpRequest | None = None, rendition: str = "file"
) -> "File[bytes]":
    """The file, opened for reading, after recording the download; NotReady / Gone.
    `rendition` says how it was taken ("file", or "html": the readable DSAR cover)."""
    if export.status != Status.DONE:
        raise NotReady(_("This export is not ready yet."))
    if export.purged_at is not None or (export.expires_at and export.expires_at <= timezone.now()):
        raise Gone(_("This export has expired and its file was deleted; request a new one."))
    handle = export.file.open("rb")
    audit_record(
        action="export.downloaded",
        actor=by,
        client=export.client,
        target=export,
        data={
            "kind": export.kind,
            "format": export.format,
            "sha256": export.sha256,
            "rendition": rendition,
        },
        request=request,
    )
    return handle


def exports_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the files of expired exports; the rows stay as the record. Returns how many."""
    now = now or timezone.now()
    count = 0
    due = Export.objects.filter(purged_at__isnull=True, expires_at__lte=now).order_by("pk")
    for export in due.iterator(chunk_size=200):
        if export.file:
            export.file.delete(save=False)
        export.file = ""
        export.purged_at = now
        export.save(update_fields=["file", "purged_at"])
        count += 1
    if count:
        logger.info("exports purge deleted %d file(s)", count)
    return count


def exports_sweep(*, now: dt.datetime | None = None) -> int:
    """Queue again exports no worker took (queued for 2 min) or whose worker died
    (running without progress for EXPORT_STALE_SECONDS). Returns how many."""
    now = now or timezone.now()
    stale = dt.timedelta(seconds=int(getattr(settings, "EXPORT_STALE_SECONDS", 600)))
    # Conditional: a worker that makes progress meanwhile keeps its export.
    Export.objects.filter(status=Status.RUNNING, updated_at__lt=now - stale).update(
        status=Status.QUEUED, updated_at=now - dt.timedelta(minutes=5)
    )
    ids = list(
        Export.objects.filter(status=Status.QUEUED, updated_at__lt=now - dt.timedelta(minutes=2))
        .order_by("pk")
        .values_list("pk", flat=True)[:100]
    )
    # Imported here: tasks.py imports this module (Celery's services <-> tasks cycle).
    from .tasks import build

    for export_id in ids:
        Export.objects.filter(pk=export_id, status=Status.QUEUED).update(updated_at=now)
        build.delay(export_id)
    return len(ids)
