"""One set of capture rules: the desk's New request page and POST /api/v1/change-requests/
take the same input to the same answer — both accept it and open a ticket with the same
change items, or both refuse it with the same messages on the same fields.

The desk side is the real page (the view's POST, as a browser sends it: every field the
page pre-fills, the agent's typing on top). Where the page lets the agent choose and the
API has a fixed meaning, the agent chooses what the API means: the change replaces the
primary contact (the page's pre-selection), a new card or account becomes the default (the
agent ticks it), `unlink_provider` is the agent ticking that provider's accounts.
"""

import datetime as dt
import json
import zoneinfo

import pytest
from django import forms
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from profiledesk.api.changes import API_CATEGORIES, API_NAMES
from profiledesk.api.serializers import ChangesSerializer
from profiledesk.customers import models as m
from profiledesk.intake.forms import form_for
from profiledesk.intake.validators import CARD_SECURITY_CODE_KEYS
from profiledesk.policies.categories import Category
from profiledesk.tickets.models import Ticket
from tests.api.conftest import CARD, submit
from tests.conftest import signed_in

HOLDER = "Grace Hopper"
IBAN = "DE89 3704 0044 0532 0130 00"


# --- the two entry points ------------------------------------------------------------


def _browser_value(field: forms.Field, value):
    """`value` as a browser posts it for `field` (None: the field is not sent)."""
    if isinstance(field, forms.NullBooleanField):
        return None if value is None else ("true" if value else "false")
    if isinstance(field, forms.BooleanField):
        return "on" if value else None
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return str(value)


def _desk_post(customer, category: str, changes: dict) -> dict:
    """What the New request page posts when the agent types `changes` into it."""
    page = form_for(category, customer=customer)
    typed = dict(changes)
    if "unlink_provider" in typed:
        provider = typed.pop("unlink_provider")
        typed["unlink"] = list(
            customer.linked_accounts.filter(provider=provider).values_list("pk", flat=True)
        )
    if "card_number" in typed:
        typed["card_make_default"] = True
    if "iban" in typed:
        typed["bank_make_default"] = True
    post = {"channel": "phone", "category": category, "summary": ""}
    for name, field in page.fields.items():
        value = typed.pop(name) if name in typed else page[name].value()
        value = _browser_value(field, value)
        if value is not None:
            post[name] = value
    # Whatever else (a CVV under some name) is posted as typed.
    post.update({name: str(value) for name, value in typed.items()})
    return post


def _items(ticket: Ticket) -> list[tuple]:
    """A ticket's change items as an auditor compares them; a vault token is random per
    call, so a secret's value is compared by what the vault says of it (fingerprint,
    brand, last four...)."""
    items = []
    for item in ticket.items.order_by("pk"):
        value = item.new_value
        if item.is_secret:
            value = json.dumps({k: v for k, v in json.loads(value).items() if k != "token"})
        row = (item.section, item.field, item.label, item.old_display, item.new_display)
        items.append((*row, value, item.target_id, item.is_secret))
    return items


def through_desk(agent, customer, category: str, changes: dict):
    """(accepted, items or messages) from the desk's New request page."""
    http = signed_in(agent)
    before = set(Ticket.objects.values_list("pk", flat=True))
    response = http.post(
        f"/tickets/new/{customer.pk}/", _desk_post(customer, category, changes), follow=False
    )
    if response.status_code == 302:
        ticket = Ticket.objects.exclude(pk__in=before).get()
        return True, _items(ticket)
    assert response.status_code == 200, response.status_code
    errors = response.context["change_form"].errors
    named = {"__all__": "non_field_errors", "unlink": "unlink_provider"}
    return False, {named.get(name, name): list(messages) for name, messages in errors.items()}


def through_api(api, customer, category: str, changes: dict):
    """(accepted, items or messages) from POST /api/v1/change-requests/."""
    body = {"category": category, "changes": changes}
    if customer is not None:
        body["customer"] = customer.number
    response = submit(api, body)
    if response.status_code == 201:
        return True, _items(Ticket.objects.get(reference=response.json()["reference"]))
    assert response.status_code == 400, response.content
    return False, response.json()["changes"]


def assert_parity(api, agent, customer, category: str, changes: dict):
    desk = through_desk(agent, customer, category, changes)
    assert through_api(api, customer, category, changes) == desk
    return desk


# --- hand cases, every category --------------------------------------------------------


def _last_month(client) -> tuple[int, int]:
    today = dt.datetime.now(zoneinfo.ZoneInfo(client.time_zone)).date()
    return (12, today.year - 1) if today.month == 1 else (today.month - 1, today.year)


def _card(**extra) -> dict:
    return {"card_number": CARD, "card_exp_month": 12, "card_exp_year": 2099, **extra}


ADDRESS = {
    "address_line1": "221B Baker Street",
    "address_city": "London",
    "address_postal_code": "nw1 6xe",
    "address_country": "gb",
    "address_kind": "home",
}

ACCEPTED = [
    (Category.PERSONAL, {"legal_name": "Grace Brewster Hopper"}),
    (Category.PERSONAL, {"preferred_name": "Amazing Grace", "date_of_birth": "1986-12-09"}),
    (Category.PERSONAL, {"national_id": "12345678Z", "national_id_country": "es"}),
    (Category.CONTACT, {"email": "  Grace.New@Example.COM "}),
    (Category.CONTACT, {"phone": "07911 123456", "phone_kind": "mobile"}),
    (Category.CONTACT, ADDRESS),
    (Category.SECURITY, {"password_reset": True, "sign_out_everywhere": True}),
    (Category.SECURITY, {"two_factor_reset": True}),
    (Category.PREFERENCES, {"marketing_email": True, "confirm_by_sms": True}),
    (Category.LINKED_ACCOUNTS, {"unlink_provider": "google"}),
    (Category.BILLING, _card(card_holder_name=HOLDER)),
    (Category.BILLING, {"iban": IBAN, "account_holder": "G. Hopper", "bank_name": "Commerzbank"}),
    (Category.LANGUAGE_REGION, {"locale": "es_es", "time_zone": "Europe/Madrid", "country": "es"}),
    (Category.ORGANISATION, {"business_name": "Hopper Labs", "vat_number": "DE 136695976"}),
    (Category.ORGANISATION, {"tax_id": "12-3456789", "tax_id_country": "US"}),
]

REFUSED = [
    # (category, changes, a field the messages name)
    (Category.PERSONAL, {"legal_name": "Grace\u200bHopper"}, "legal_name"),  # invisible
    (Category.PERSONAL, {"date_of_birth": "2999-01-01"}, "date_of_birth"),
    (Category.PERSONAL, {"date_of_birth": "1986-02-30"}, "date_of_birth"),
    (Category.PERSONAL, {"national_id": "12345678Z", "national_id_country": "GB"}, "national_id"),
    (Category.PERSONAL, {"gender": CARD}, "gender"),
    (Category.CONTACT, {"email": "grace@@example"}, "email"),
    (Category.CONTACT, {"email": "grace\u202e@example.com"}, "email"),
    (Category.CONTACT, {"phone": "12", "phone_kind": "mobile"}, "phone"),
    (Category.CONTACT, {**ADDRESS, "address_postal_code": "ABC"}, "address_postal_code"),
    (
        Category.CONTACT,
        {k: v for k, v in ADDRESS.items() if k != "address_postal_code"},
        "address_postal_code",
    ),
    (Category.CONTACT, {**ADDRESS, "address_line1": "1\u2066 High St"}, "address_line1"),
    (Category.CONTACT, {"address_city": "Leeds"}, "non_field_errors"),
    (Category.CONTACT, {**ADDRESS, "address_country": "ZZ"}, "address_country"),
    (Category.PREFERENCES, {"confirm_by_email": False}, "non_field_errors"),
    (Category.LINKED_ACCOUNTS, {"unlink_provider": "apple"}, "unlink_provider"),
    (Category.BILLING, _card(), "card_holder_name"),
    (Category.BILLING, _card(card_number="4111 1111 1111 1112", card_holder_name=HOLDER), None),
    (Category.BILLING, _card(card_exp_year=2001, card_holder_name=HOLDER), "card_exp_month"),
    (Category.BILLING, {"iban": "DE89 3704 0044 0532 0130 01", "account_holder": "G"}, "iban"),
    (Category.BILLING, {"iban": IBAN}, "account_holder"),
    (Category.LANGUAGE_REGION, {"locale": "Spanish"}, "locale"),
    (Category.LANGUAGE_REGION, {"time_zone": "Mars/Olympus"}, "time_zone"),
    (Category.ORGANISATION, {"vat_number": "DE136695977"}, "vat_number"),
    (Category.ORGANISATION, {"business_name": "Hopper\u202eLabs"}, "business_name"),
]


@pytest.fixture
def profile(customer):
    """Grace, with a Google account linked (so that unlinking has something to do)."""
    m.LinkedAccount.objects.create(
        customer=customer, provider="google", external_id="g-123", linked_at=timezone.now()
    )
    return customer


@pytest.mark.parametrize(("category", "changes"), ACCEPTED)
def test_valid_input_opens_the_same_ticket_from_the_desk_and_the_api(
    api, agent, profile, category, changes
):
    accepted, items = assert_parity(api, agent, profile, category, changes)
    assert accepted and items


@pytest.mark.parametrize(("category", "changes", "field"), REFUSED)
def test_invalid_input_gets_the_same_messages_from_the_desk_and_the_api(
    api, agent, profile, category, changes, field
):
    accepted, messages = assert_parity(api, agent, profile, category, changes)
    assert not accepted
    if field is not None:
        assert field in messages
    assert not Ticket.objects.exists()
    assert CARD.replace(" ", "") not in json.dumps(messages)


def test_an_expired_card_is_refused_by_the_client_s_calendar(api, agent, profile):
    month, year = _last_month(profile.client)
    changes = _card(card_exp_month=month, card_exp_year=year, card_holder_name=HOLDER)
    accepted, messages = assert_parity(api, agent, profile, Category.BILLING, changes)
    assert (accepted, messages) == (False, {"card_exp_month": ["This card has expired."]})


@pytest.mark.parametrize(
    "key", [*sorted(CARD_SECURITY_CODE_KEYS), "CVV", "Card-CVC", "Security_Code"]
)
def test_a_card_security_code_under_any_name_is_refused_alike(api, agent, profile, key):
    changes = _card(card_holder_name=HOLDER, **{key: "123"})
    accepted, messages = assert_parity(api, agent, profile, Category.BILLING, changes)
    assert not accepted
    assert messages == {
        "non_field_errors": ["The desk never takes a card's security code (CVV): leave it out."]
    }
    assert not Ticket.objects.exists()


# --- varied input ------------------------------------------------------------------------

VARIED = settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# What a person can type (no lone surrogates: neither a browser nor JSON carries them),
# including the invisible and bidirectional controls the free-text rules refuse.
typed_text = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"),
        st.sampled_from("\u200b\u202e\u2066\u00ad\ufeff"),
    ),
    min_size=1,
    max_size=40,
)


@VARIED
@given(
    field=st.sampled_from(["legal_name", "preferred_name", "date_of_birth", "national_id"]),
    value=st.one_of(typed_text, st.dates().map(dt.date.isoformat)),
)
def test_personal_values_get_the_same_answer(api, agent, profile, field, value):
    assert_parity(api, agent, profile, Category.PERSONAL, {field: value})


@VARIED
@given(
    email=st.one_of(st.emails(), typed_text),
    phone=st.one_of(st.none(), st.from_regex(r"\+?[0-9 ()-]{2,16}", fullmatch=True)),
)
def test_contact_values_get_the_same_answer(api, agent, profile, email, phone):
    changes = {"email": email}
    if phone is not None:
        changes.update(phone=phone, phone_kind="mobile")
    assert_parity(api, agent, profile, Category.CONTACT, changes)


@VARIED
@given(
    line1=typed_text,
    postal_code=st.from_regex(r"[A-Za-z0-9 ]{1,10}", fullmatch=True),
    country=st.sampled_from(["GB", "es", "DE", "US", "IE"]),
)
def test_addresses_get_the_same_answer(api, agent, profile, line1, postal_code, country):
    changes = {
        **ADDRESS,
        "address_line1": line1,
        "address_postal_code": postal_code,
        "address_country": country,
    }
    assert_parity(api, agent, profile, Category.CONTACT, changes)


@VARIED
@given(
    toggles=st.dictionaries(
        st.sampled_from(["marketing_email", "confirm_by_email", "confirm_by_sms", "auto_renew"]),
        st.booleans(),
        min_size=1,
    )
)
def test_preference_toggles_get_the_same_answer(api, agent, profile, toggles):
    assert_parity(api, agent, profile, Category.PREFERENCES, toggles)


@VARIED
@given(
    holder=st.one_of(typed_text, st.just("   ")),
    month=st.integers(1, 12),
    year=st.integers(2000, 2100),
    number=st.sampled_from([CARD, "4111 1111 1111 1112", "5555555555554444", "1234"]),
)
def test_cards_get_the_same_answer(api, agent, profile, holder, month, year, number):
    changes = {
        "card_number": number,
        "card_exp_month": month,
        "card_exp_year": year,
        "card_holder_name": holder,
    }
    assert_parity(api, agent, profile, Category.BILLING, changes)


@VARIED
@given(business=typed_text, vat=st.one_of(typed_text, st.just("DE136695976")))
def test_organisation_values_get_the_same_answer(api, agent, profile, business, vat):
    changes = {"business_name": business, "vat_number": vat}
    assert_parity(api, agent, profile, Category.ORGANISATION, changes)


# --- a request that names no customer -----------------------------------------------------


def test_without_a_customer_the_api_binds_the_same_form_with_nothing_known(api, northwind):
    """No customer: the client's home country reads the numbers, every value is new, and
    the form's own rules still hold (the holder name, the CVV)."""
    accepted, items = through_api(
        api, None, Category.CONTACT, {"phone": "07911 123456", "phone_kind": "mobile"}
    )
    assert accepted
    assert [(i[1], i[5], i[3]) for i in items] == [
        ("phonenumber.number", "+447911123456", ""),
        ("phonenumber.kind", "mobile", ""),
        ("phonenumber.is_primary", "true", ""),
    ]
    refused = through_api(api, None, Category.BILLING, _card())
    assert refused == (False, {"card_holder_name": ["Enter the name on the card."]})
    form = form_for(Category.BILLING, customer=None, client=northwind, data=_card(cvv="1"))
    assert not form.is_valid() and "CVV" in form.non_field_errors()[0]


def test_every_change_field_the_api_documents_belongs_to_exactly_one_category_form(northwind):
    """The schema's `changes` names are the forms' names: none the forms do not take."""
    forms_by_category = {
        category: form_for(category, customer=None, client=northwind) for category in API_CATEGORIES
    }
    for name in ChangesSerializer().fields:
        owners = [
            category
            for category, form in forms_by_category.items()
            if API_NAMES.get(name, name) in form.fields
        ]
        assert len(owners) == 1, (name, owners)
