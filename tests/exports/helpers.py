"""Exports made the way the desk makes them, for the exports tests and the URL matrix."""

import datetime as dt

from django.utils import timezone

from profiledesk.exports.models import Export, Format, Kind


def queued_export(client, by, *, kind=Kind.AUDIT_EVENTS, fmt=Format.CSV, customer=None):
    """A queued export row (no task runs): what `export_request` leaves before the build."""
    now = timezone.now()
    return Export.objects.create(
        client=client,
        requested_by=by,
        kind=kind,
        format=fmt,
        customer=customer,
        since=None if customer else now - dt.timedelta(days=1),
        until=None if customer else now + dt.timedelta(days=1),
        created_at=now,
        updated_at=now,
    )


def built(export) -> bytes:
    """Run the build (as the task does) and return the file's bytes."""
    from profiledesk.exports.services import export_build

    assert export_build(export_id=export.pk) == "done"
    export.refresh_from_db()
    with export.file.open("rb") as handle:
        return handle.read()
