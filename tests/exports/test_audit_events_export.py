"""The audit-event export: the client's events of a range, each row re-verifiable with
audit.services.event_hash, in CSV and JSON; the request itself is an audit event."""

import csv
import datetime as dt
import hashlib
import io
import json

import pytest
import time_machine
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record, event_hash
from profiledesk.exports.models import Format, Kind, Status
from profiledesk.exports.services import ExportError, export_request

from .helpers import built

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def events(personas, northwind, solaris):
    """Northwind events on 1-3 March, one on 10 March, and one of Solaris on 2 March."""
    made = {}
    for day, action in [(0, "auth.login"), (1, "otp.sent"), (2, "approval.granted")]:
        with time_machine.travel(START + dt.timedelta(days=day), tick=False):
            made[action] = audit_record(
                action=action,
                actor=personas["agent"],
                client=northwind,
                data={"field": "email", "masked": "j•••@example.com"},
            )
    with time_machine.travel(START + dt.timedelta(days=1, hours=1), tick=False):
        made["solaris"] = audit_record(action="auth.login", client=solaris)
    with time_machine.travel(START + dt.timedelta(days=9), tick=False):
        made["later"] = audit_record(action="auth.logout", client=northwind)
    return made


def _request(personas, northwind, fmt):
    return export_request(
        by=personas["compliance"],
        kind=Kind.AUDIT_EVENTS,
        fmt=fmt,
        client=northwind,
        since=START,
        until=START + dt.timedelta(days=3),
    )


def test_the_csv_holds_the_clients_events_of_the_range_each_rehashing_to_its_hash(
    personas, northwind, events
):
    export = _request(personas, northwind, Format.CSV)
    data = built(export)

    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert list(rows[0]) == [
        "id",
        "created_at",
        "action",
        "actor_id",
        "actor_username",
        "client_id",
        "target_type",
        "target_id",
        "data",
        "ip_address",
        "prev_hash",
        "hash",
    ]
    # Oldest first; Solaris's event and the one after the range are not there.
    assert [r["action"] for r in rows] == ["auth.login", "otp.sent", "approval.granted"]
    assert {r["client_id"] for r in rows} == {str(northwind.pk)}
    for row in rows:
        fields = {
            "created_at": row["created_at"],
            "action": row["action"],
            "actor_id": int(row["actor_id"]) if row["actor_id"] else None,
            "actor_username": row["actor_username"],
            "client_id": int(row["client_id"]) if row["client_id"] else None,
            "target_type": row["target_type"],
            "target_id": row["target_id"],
            "data": json.loads(row["data"]),
            "ip_address": row["ip_address"] or None,
        }
        assert event_hash(prev_hash=row["prev_hash"], fields=fields) == row["hash"]
    assert rows[0]["created_at"] == "2026-03-01T09:00:00+00:00"  # UTC ISO 8601
    # A segment of consecutive events re-links: each row names the hash of the one before.
    assert [int(r["id"]) for r in rows] == [int(rows[0]["id"]) + i for i in range(3)]
    assert rows[1]["prev_hash"] == rows[0]["hash"]
    assert rows[2]["prev_hash"] == rows[1]["hash"]

    export.refresh_from_db()
    assert export.status == Status.DONE
    assert export.sha256 == hashlib.sha256(data).hexdigest()
    assert export.done == export.total == 3
    assert export.expires_at == export.finished_at + dt.timedelta(days=7)


def test_the_json_holds_the_same_events_with_the_range_stated(personas, northwind, events):
    export = _request(personas, northwind, Format.JSON)
    document = json.loads(built(export))

    assert document["kind"] == "audit_events"
    assert document["client"] == "Northwind Energy"
    assert document["since"] == "2026-03-01T09:00:00+00:00"
    assert document["until"] == "2026-03-04T09:00:00+00:00"
    assert [e["id"] for e in document["events"]] == [
        events["auth.login"].pk,
        events["otp.sent"].pk,
        events["approval.granted"].pk,
    ]
    first = document["events"][0]
    assert first["data"] == {"field": "email", "masked": "j•••@example.com"}
    fields = {k: first[k] for k in first if k not in ("id", "prev_hash", "hash")}
    assert event_hash(prev_hash=first["prev_hash"], fields=fields) == first["hash"]


def test_requesting_an_export_is_an_audit_event_and_queues_the_build_on_commit(
    personas, northwind, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr("profiledesk.exports.tasks.build.delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        export = _request(personas, northwind, Format.CSV)

    assert queued == [export.pk]  # the id only
    event = AuditEvent.objects.get(action="export.requested")
    assert event.actor == personas["compliance"]
    assert event.client == northwind
    assert event.target_id == str(export.pk)
    assert event.data == {
        "kind": "audit_events",
        "format": "csv",
        "since": "2026-03-01T09:00:00+00:00",
        "until": "2026-03-04T09:00:00+00:00",
    }


def test_a_range_that_ends_before_it_starts_is_refused(personas, northwind):
    with pytest.raises(ExportError):
        export_request(
            by=personas["compliance"],
            kind=Kind.AUDIT_EVENTS,
            fmt=Format.CSV,
            client=northwind,
            since=timezone.now(),
            until=timezone.now() - dt.timedelta(days=1),
        )
