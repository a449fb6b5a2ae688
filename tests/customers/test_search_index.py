"""Name search is served by the pg_trgm index on PostgreSQL (customers migration 0003):
a "contains" search that a b-tree cannot answer."""

import pytest
from django.db import connection

from profiledesk.customers.models import Customer
from tests.factories import complete_customer

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="pg_trgm exists on PostgreSQL only (run via tests/with_services.sh)",
    ),
]


def test_a_name_search_can_use_the_trigram_index(northwind):
    complete_customer(northwind, legal_name="Grace Hopper")
    query = Customer.objects.filter(search_name__contains="hopp")
    with connection.cursor() as cursor:
        # With a handful of rows a sequential scan is cheaper: take it off the table to
        # see whether the index can serve the search at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
    assert "customer_search_trgm" in plan
    assert [c.personal.legal_name for c in query] == ["Grace Hopper"]
