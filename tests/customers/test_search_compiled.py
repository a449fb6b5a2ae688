"""The customer search runs its query from SQL the ORM compiled once a shape, with the
request's values put in place of stand-ins (customers/selectors.py `_compiled`, issue 20).
It must find exactly what the ORM's own query finds — the same customers, in the same
order, the same "more match" — for any query, any staff member and either scope; a value
must never be taken for SQL or for a LIKE wildcard, and another client's customers never
come of it."""

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from profiledesk.customers.selectors import customer_search, search_queryset, search_terms
from tests.factories import complete_customer

LIMIT = 3
NAMES = [
    "Ada Lovelace",
    "Ada 100% Smith",
    "Ana_Maria Lopez",
    "Back\\Slash Jones",
    "O'Brien; DROP TABLE customers_customer;--",
    "Zoë Ångström",
    "Smith Smithson",
    "Jane Smith",
]
FRAGMENTS = [
    "ada", "smith", "%", "_", "\\", "'", ";", "--", "100%", "ana_", "lopez", "zoë",
    "angstrom", "@", "example", ".com", "+44", "07700", "900", "nwe-", "sol-", "0000",
    " ", "DROP", "*", "?",
]  # fmt: skip


@pytest.fixture
def people(northwind, solaris):
    made = []
    for i, name in enumerate(NAMES):
        made.append(complete_customer(northwind if i % 3 else solaris, legal_name=name))
    return made


def _expected(staff, query: str, client_id):
    """What the ORM's own query of the same shape finds (evaluated by the ORM)."""
    query = query.replace("\x00", "").strip()
    if not query:
        return [], False
    kind, values = search_terms(staff=staff, query=query)
    if kind == "phone" and not values:
        return [], False
    rows = list(
        search_queryset(staff=staff, kind=kind, values=values, client_id=client_id, limit=LIMIT)
    )
    return [row[0] for row in rows[:LIMIT]], len(rows) > LIMIT


queries = st.one_of(
    st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=4).map("".join),
    st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=6).map(" ".join),
    st.text(max_size=20),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=queries, who=st.sampled_from(["agent", "outsider"]), scope=st.integers(0, 2))
@example(query="ada\x00", who="agent", scope=0)  # PostgreSQL refuses a NUL: it is dropped
@example(query="\x00", who="agent", scope=0)
def test_the_compiled_search_finds_what_the_orm_finds(
    personas, people, northwind, solaris, query, who, scope
):
    staff = personas[who]
    client_id = [None, northwind.pk, solaris.pk][scope]
    result = customer_search(staff=staff, query=query, limit=LIMIT, client_id=client_id)
    ids, more = _expected(staff, query, client_id)
    assert [row.pk for row in result.customers] == ids
    assert result.has_more == more


def test_real_values_of_every_kind_are_found(personas, people):
    agent = personas["agent"]
    customer = people[1]  # Northwind's "Ada 100% Smith"
    customer.number = "NWE-0000777"
    customer.save(update_fields=["number"])
    email = customer.emails.get(is_primary=True).email
    phone = customer.phones.get(is_primary=True).number
    for query in [email.upper(), "nwe0000777", phone, "100%", "ada smith"]:
        found = customer_search(staff=agent, query=query).customers
        assert customer.pk in [row.pk for row in found], query


def test_wildcards_and_quotes_are_text(personas, people):
    def names(who: str, query: str) -> list[str]:
        return [row.name for row in customer_search(staff=personas[who], query=query).customers]

    assert names("agent", "%") == ["Ada 100% Smith"]
    assert names("agent", "a_m") == ["Ana_Maria Lopez"]  # "_" is no wildcard: not "ada m…"
    assert names("agent", "o'brien; drop") == ["O'Brien; DROP TABLE customers_customer;--"]
    assert names("outsider", "\\") == ["Back\\Slash Jones"]  # Solaris's


def test_another_clients_customers_never_come_of_it(personas, people, solaris):
    agent = personas["agent"]  # Northwind only
    solaris_ids = {c.pk for c in people if c.client_id == solaris.pk}
    for query in ["ada", "smith", "%", "_", people[0].number, "zoë"]:
        for client_id in [None, solaris.pk]:
            found = customer_search(staff=agent, query=query, client_id=client_id).customers
            assert not solaris_ids & {row.pk for row in found}
