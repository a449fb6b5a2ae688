"""Customer search (docs/design.md §8): by e-mail, phone, customer number or name, within the
agent's own clients, with contact details masked in the results."""

import re

import pytest
from django.urls import reverse

from profiledesk.customers.models import Customer
from profiledesk.customers.selectors import customer_search
from tests.conftest import signed_in
from tests.factories import complete_customer


def _customer(client, *, number: str, name: str, email: str, phone: str):
    customer = complete_customer(client, legal_name=name)
    customer.number = number
    customer.save(update_fields=["number"])
    primary_email = customer.emails.get()
    primary_email.email = email
    primary_email.save(update_fields=["email"])
    primary_phone = customer.phones.get()
    primary_phone.number = phone
    primary_phone.save(update_fields=["number"])
    return customer


@pytest.fixture
def grace(northwind):
    return _customer(
        northwind,
        number="NWE-0001234",
        name="Grace Hopper",
        email="grace.hopper@example.com",
        phone="+447700900123",
    )


@pytest.fixture
def jose(northwind):
    return _customer(
        northwind,
        number="NWE-0005678",
        name="José García Núñez",
        email="jose@example.es",
        phone="+447700900456",
    )


@pytest.fixture
def carmen(solaris):
    return _customer(
        solaris,
        number="SOL-0000042",
        name="Carmen Ruiz",
        email="carmen@example.es",
        phone="+34612345678",
    )


def _found(staff, query: str) -> list:
    return [
        Customer.objects.get(pk=row.pk)
        for row in customer_search(staff=staff, query=query).customers
    ]


@pytest.mark.parametrize(
    "query", ["grace.hopper@example.com", "Grace.Hopper@EXAMPLE.com", "  grace.hopper@example.com "]
)
def test_a_customer_is_found_by_exact_email_whatever_its_case(personas, grace, jose, query):
    assert _found(personas["agent"], query) == [grace]


def test_part_of_an_email_finds_nobody(personas, grace):
    assert _found(personas["agent"], "hopper@example.com") == []


@pytest.mark.parametrize(
    "query",
    [
        "+447700900123",  # E.164
        "+44 7700 900123",
        "07700 900123",  # national format, in the client's country (GB)
        "07700900123",
        "(07700) 900-123",
        "0044 7700 900123",
    ],
)
def test_a_customer_is_found_by_phone_however_it_is_typed(personas, grace, jose, query):
    assert _found(personas["agent"], query) == [grace]


def test_a_national_phone_is_read_in_the_country_of_the_agents_client(personas, carmen):
    # Solaris is a Spanish client: "612 34 56 78" is a Spanish mobile for its agents.
    assert _found(personas["outsider"], "612 34 56 78") == [carmen]


@pytest.mark.parametrize("query", ["NWE-0001234", "nwe-0001234", "NWE0001234", "nwe0001234"])
def test_a_customer_is_found_by_number_with_or_without_dash_in_any_case(
    personas, grace, jose, query
):
    assert _found(personas["agent"], query) == [grace]


@pytest.mark.parametrize(
    "query", ["García", "garcia", "GARCIA jose", "jose nunez", "Núñez García", "gar jo"]
)
def test_a_customer_is_found_by_name_tokens_ignoring_accents_case_and_order(
    personas, grace, jose, query
):
    assert _found(personas["agent"], query) == [jose]


def test_every_name_token_must_match(personas, grace, jose):
    assert _found(personas["agent"], "jose hopper") == []


@pytest.mark.parametrize(
    "query",
    ["grace.hopper@example.com", "+447700900123", "07700 900123", "NWE-0001234", "Grace Hopper"],
)
def test_an_agent_of_another_client_finds_nothing_of_northwind(personas, grace, query):
    assert _found(personas["outsider"], query) == []


@pytest.mark.parametrize(
    "query", ["carmen@example.es", "+34612345678", "SOL-0000042", "sol0000042", "Carmen Ruiz"]
)
def test_a_northwind_agent_finds_nothing_of_solaris(personas, carmen, query):
    assert _found(personas["agent"], query) == []


def test_an_empty_query_finds_nobody(personas, grace):
    assert _found(personas["agent"], "   ") == []


def test_results_show_contact_details_masked_and_nothing_sensitive(personas, grace):
    response = signed_in(personas["agent"]).get(reverse("customers:search"), {"q": "grace"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "NWE-0001234" in page
    assert "Grace Hopper" in page
    assert "g•••@example.com" in page
    assert "+44 •••• ••0123" in page
    for clear in ["grace.hopper@example.com", "7700900123", "7700 900123", "QQ123456C", "1984"]:
        assert clear not in page


def test_a_search_by_phone_does_not_reveal_the_customers_email(personas, grace):
    response = signed_in(personas["agent"]).get(reverse("customers:search"), {"q": "07700 900123"})
    page = response.content.decode()
    assert "NWE-0001234" in page
    assert "grace.hopper@example.com" not in page


def test_an_htmx_search_answers_with_the_results_only(personas, grace):
    response = signed_in(personas["agent"]).get(
        reverse("customers:search"), {"q": "grace"}, headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert 'data-testid="search-results"' in page
    assert "<html" not in page


def test_the_outsider_sees_no_northwind_customer_in_the_page(personas, grace):
    response = signed_in(personas["outsider"]).get(reverse("customers:search"), {"q": "grace"})
    assert response.status_code == 200
    assert "NWE-0001234" not in response.content.decode()
    assert "No customer of your clients matches that." in response.content.decode()


@pytest.mark.parametrize("matching", [1, 20])
def test_the_search_page_runs_the_same_queries_for_1_or_20_results(
    personas, northwind, django_assert_num_queries, matching
):
    for i in range(matching):
        complete_customer(northwind, legal_name=f"Ada Lovelace {i}", emails=2, phones=2)
    http = signed_in(personas["agent"])
    # Expect 5 queries: the session, the staff member, their TOTP device (second factor),
    # their permissions and groups in one query (accounts/permissions.py), the matching
    # customers with their client, personal details and primary e-mail and phone
    # (subqueries of the same query).
    with django_assert_num_queries(5):
        response = http.get(reverse("customers:search"), {"q": "lovelace"})
    assert len(re.findall(r'href="/customers/\d+/"', response.content.decode())) == matching


def test_a_phone_search_adds_one_query_for_the_agents_client_countries(
    personas, grace, django_assert_num_queries
):
    http = signed_in(personas["agent"])
    # Expect 6 queries: the 5 of a search by name, and the countries of the agent's
    # clients, to read a national phone number.
    with django_assert_num_queries(6):
        response = http.get(reverse("customers:search"), {"q": "07700 900123"})
    assert "NWE-0001234" in response.content.decode()
