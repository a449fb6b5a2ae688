"""Which client, customer and category an inbound e-mail goes to."""

import pytest

from profiledesk.inbound.parsing import plus_tag
from profiledesk.inbound.routing import client_for, customer_for, guess_category
from tests.factories import EmailAddressFactory, complete_customer


@pytest.mark.parametrize(
    ("address", "tag"),
    [
        ("requests+northwind@desk.example", "northwind"),
        ("Requests+NorthWind@desk.example", "northwind"),
        ("requests@desk.example", ""),
        ("not an address", ""),
    ],
)
def test_the_plus_tag_of_an_address_names_the_client(address, tag):
    assert plus_tag(address) == tag


def test_the_first_recipient_naming_an_active_client_wins(northwind, solaris):
    recipients = [
        "cc@desk.example",
        "requests+nobody@desk.example",
        "requests+solaris@desk.example",
        "requests+northwind@desk.example",
    ]
    assert client_for(recipients) == solaris


def test_an_inactive_client_receives_nothing(northwind):
    northwind.is_active = False
    northwind.save(update_fields=["is_active"])
    assert client_for(["requests+northwind@desk.example"]) is None


def test_an_address_shared_by_two_customers_matches_neither(northwind):
    first, second = complete_customer(northwind), complete_customer(northwind)
    shared = first.emails.get().email
    EmailAddressFactory(customer=second, email=shared, is_primary=False)
    assert customer_for(northwind, shared) is None


@pytest.mark.parametrize(
    ("subject", "text", "category"),
    [
        ("New card", "Please use my new Visa", "billing"),
        ("Locked out", "I forgot my password", "security"),
        ("Moving house", "My new address is 1 Main St", "contact"),
        ("Hello", "Please stop the newsletter", "preferences"),
        ("Unlink", "Remove my Google login", "linked_accounts"),
        ("Married!", "Please change my surname", "personal"),
        ("Hi", "I have a question", "contact"),
    ],
)
def test_the_category_is_guessed_from_keywords(subject, text, category):
    assert guess_category(subject, text) == category
