"""With a read replica configured, the history pages and the rows of an export are read
from it, and every write — and every read inside a transaction — stays on the primary;
without one nothing changes. The replica here is a second connection (alias "replica") to
the test PostgreSQL database, so each alias's queries can be captured apart."""

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.services import audit_record
from profiledesk.customers.models import Customer
from profiledesk.exports.models import Kind
from profiledesk.exports.services import export_build, export_request
from profiledesk.replica import REPLICA, ReplicaRouter, replica_reads
from tests.conftest import signed_in

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture(scope="module", autouse=True)
def _replica_alias(django_db_setup, django_db_blocker):
    """The alias exists before each test's database set-up, which then allows it."""
    with django_db_blocker.unblock():
        if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
            pytest.skip("a second connection to the test database needs PostgreSQL")
    settings_dict = {**connections[DEFAULT_DB_ALIAS].settings_dict}
    settings_dict["TEST"] = {**settings_dict["TEST"], "MIRROR": DEFAULT_DB_ALIAS}
    connections.settings[REPLICA] = settings_dict
    try:
        yield
    finally:
        connections[REPLICA].close()
        if hasattr(connections._connections, REPLICA):
            delattr(connections._connections, REPLICA)
        del connections.settings[REPLICA]


@pytest.fixture
def replica():
    return connections[REPLICA]


def _sql(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in captured.captured_queries]


def _writes(captured: CaptureQueriesContext) -> list[str]:
    return [sql for sql in _sql(captured) if sql.lstrip().upper().startswith(WRITES)]


@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_reads_go_to_the_replica_only_inside_the_scope_and_never_inside_a_transaction(replica):
    router = ReplicaRouter()
    assert router.db_for_read(Customer) == DEFAULT_DB_ALIAS  # outside the scope
    with replica_reads():
        assert router.db_for_read(Customer) == REPLICA
        with transaction.atomic():  # a read beside a write (or a lock) sees the primary
            assert router.db_for_read(Customer) == DEFAULT_DB_ALIAS
        assert router.db_for_write(Customer) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(REPLICA, "customers") is False


@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_the_history_page_reads_from_the_replica_and_its_writes_go_to_the_primary(
    replica, personas, customer
):
    http = signed_in(personas["compliance"])
    url = reverse("audit:customer_history", args=[customer.pk])
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
        CaptureQueriesContext(replica) as replicated,
    ):
        response = http.get(url)
        with replica_reads():  # a write inside the scope (an audit event) ...
            audit_record(action="test.replica_write", actor=personas["compliance"])
    assert response.status_code == 200
    assert "Grace Hopper" in response.text
    # The page's history: the UNION ALL of the profile's history tables, and its rows.
    history = [sql for sql in _sql(replicated) if "UNION ALL" in sql and "historical" in sql]
    assert history
    # (The primary's one UNION ALL is the staff member's permissions: accounts/permissions.py.)
    assert not any("UNION ALL" in sql and "historical" in sql for sql in _sql(primary))
    # The session and the second factor are read before the view, on the primary.
    assert any("django_session" in sql for sql in _sql(primary))
    # ... goes to the primary, and nothing is ever written through the replica.
    assert any("audit_auditevent" in sql for sql in _writes(primary))
    assert _writes(replicated) == []


@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_an_exports_rows_come_from_the_replica_and_its_row_is_written_on_the_primary(
    replica, personas, customer
):
    export = export_request(
        by=personas["compliance"],
        kind=Kind.CUSTOMER_HISTORY,
        fmt="csv",
        client=customer.client,
        customer=customer,
    )
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
        CaptureQueriesContext(replica) as replicated,
    ):
        assert export_build(export_id=export.pk) == "done"
    assert any("UNION ALL" in sql for sql in _sql(replicated))  # the history read there
    assert any("exports_export" in sql for sql in _writes(primary))  # claim, progress, done
    assert _writes(replicated) == []
    export.refresh_from_db()
    assert export.status == "done" and export.size > 0


@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_a_row_read_on_the_replica_drags_no_later_read_there(replica, customer):
    """Django routes a related object's read (and `refresh_from_db`) to the database the
    instance came from when no router answers: a customer read on the replica would take
    every later read of its relations there, inside a transaction on the primary too,
    where it must see the transaction's own writes."""
    with replica_reads():
        stale = Customer.objects.get(pk=customer.pk)
    assert stale._state.db == REPLICA
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
        CaptureQueriesContext(replica) as replicated,
        transaction.atomic(),
    ):
        fresh = Customer.objects.get(pk=customer.pk)
        fresh.frozen_reason = "written just now"
        fresh.save(update_fields=["frozen_reason"])
        stale.refresh_from_db()
        assert stale.client.pk == customer.client_id
    assert stale.frozen_reason == "written just now"  # its own write, seen
    assert _sql(replicated) == []
    assert any("clients_client" in sql for sql in _sql(primary))


@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_an_export_reads_from_the_primary_when_the_replica_has_not_replayed_the_latest(
    replica, personas, customer, monkeypatch
):
    """An evidence export is attested by its hash: built from a replica that lags, it
    would silently miss the change (or the audit events) that prompted it."""
    from profiledesk import replica as module

    asked = []

    def lagging(position):
        asked.append(position)
        return False

    monkeypatch.setattr(module, "_replica_has_replayed", lagging)
    monkeypatch.setattr(module, "CATCH_UP_SECONDS", 0.0)
    export = export_request(
        by=personas["compliance"],
        kind=Kind.CUSTOMER_HISTORY,
        fmt="csv",
        client=customer.client,
        customer=customer,
    )
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
        CaptureQueriesContext(replica) as replicated,
    ):
        assert module.replica_caught_up(wait=0.0) is False
        assert export_build(export_id=export.pk) == "done"
    assert asked and asked[0]  # the primary's WAL position was asked for
    assert _sql(replicated) == []
    assert any("UNION ALL" in sql for sql in _sql(primary))


@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_a_server_that_is_not_a_standby_counts_as_current(replica):
    from profiledesk.replica import replica_caught_up

    assert replica_caught_up(wait=0.0) is True  # the tests' mirror: the primary itself


@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_the_dashboard_reads_its_figures_from_the_replica(replica, personas, customer):
    http = signed_in(personas["supervisor"])
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
        CaptureQueriesContext(replica) as replicated,
    ):
        response = http.get(reverse("dashboards:supervisor"))
    assert response.status_code == 200
    # The history panels' daily figures and the live panels' counts: on the replica.
    assert any("dashboards_dailyfigure" in sql for sql in _sql(replicated))
    assert any("tickets_ticket" in sql for sql in _sql(replicated))
    assert not any("dashboards_dailyfigure" in sql for sql in _sql(primary))
    assert any("django_session" in sql for sql in _sql(primary))
    assert _writes(replicated) == []
