"""Without a replica (no `DATABASE_REPLICA_URL`) the router changes nothing."""

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from profiledesk.customers.models import Customer
from profiledesk.replica import REPLICA, ReplicaRouter, replica_reads
from tests.conftest import signed_in


def test_without_a_replica_the_router_answers_nothing():
    router = ReplicaRouter()
    assert REPLICA not in connections.settings
    with replica_reads():
        assert router.db_for_read(Customer) is None
        assert router.db_for_write(Customer) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "customers") is None


@pytest.mark.django_db
def test_the_history_page_without_a_replica_reads_everything_from_the_primary(personas, customer):
    http = signed_in(personas["compliance"])
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary:
        response = http.get(reverse("audit:customer_history", args=[customer.pk]))
    assert response.status_code == 200
    assert any("UNION ALL" in query["sql"] for query in primary.captured_queries)
