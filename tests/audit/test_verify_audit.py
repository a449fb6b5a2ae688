"""`manage.py verify_audit` names the first row that breaks the chain."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit.models import AuditEvent
from audit.services import audit_record


@pytest.fixture
def chain(db):
    return [audit_record(action=f"test.event.{i}", data={"n": i}) for i in range(4)]


def test_an_intact_chain_is_reported_as_such(chain, capsys):
    call_command("verify_audit")
    assert "intact (4 events)" in capsys.readouterr().out


def _tamper(sql: str, params: list) -> None:
    """What an attacker with superuser access to the database would do: the trigger stops
    an application bug, so they switch triggers off for their session first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")


def test_a_changed_row_is_named(chain):
    _tamper("UPDATE audit_auditevent SET data = %s WHERE id = %s", ['{"n": 99}', chain[1].pk])
    with pytest.raises(CommandError, match=rf"Audit event {chain[1].pk} .*changed"):
        call_command("verify_audit")


def test_a_removed_row_is_named_by_its_successor(chain):
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [chain[2].pk])
    with pytest.raises(CommandError, match=rf"Audit event {chain[3].pk} .*missing"):
        call_command("verify_audit")
    assert AuditEvent.objects.count() == 3
