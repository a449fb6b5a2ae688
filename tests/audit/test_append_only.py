"""On PostgreSQL the audit table itself refuses UPDATE and DELETE (docs/design.md §7): tampering
takes more than an application bug."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from audit.services import audit_record

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the append-only trigger exists on PostgreSQL only (run via tests/with_services.sh)",
)


@pytest.fixture
def event(db):
    return audit_record(action="staff.signed_in", data={"method": "totp"})


def test_an_update_of_an_audit_event_is_refused_by_the_database(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="nothing.happened")
    assert AuditEvent.objects.get(pk=event.pk).action == "staff.signed_in"


def test_an_update_in_raw_sql_is_refused_too(event):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET data = '{}' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).data == {"method": "totp"}


def test_a_delete_of_an_audit_event_is_refused_by_the_database(event):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_delete_through_the_orm_is_refused_too(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_new_events_can_still_be_appended(event):
    audit_record(action="staff.signed_out")
    assert AuditEvent.objects.count() == 2
