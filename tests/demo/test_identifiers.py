"""The demo's identifiers pass the validators the desk uses (no database)."""

import random
import re

import pytest
from stdnum import get_cc_module, iban, luhn

from profiledesk.demo import contact, identifiers
from profiledesk.demo.countries import COUNTRIES
from profiledesk.vault.cards import card_brand


@pytest.mark.parametrize("code", list(COUNTRIES))
def test_ibans_and_company_numbers_are_valid(code):
    rng, country = random.Random(code), COUNTRIES[code]
    for _ in range(200):
        account = identifiers.iban(rng, country)
        assert account is None if not country.banks else iban.is_valid(account[0])
        ids = identifiers.business_ids(rng, code, country.cities[0].name)
        if ids["vat_number"]:
            assert get_cc_module(code.lower(), "vat").is_valid(ids["vat_number"])
        if code == "US":
            assert get_cc_module("us", "ein").is_valid(ids["tax_id"])


@pytest.mark.parametrize("code", list(COUNTRIES))
def test_postcodes_have_the_local_shape(code):
    rng, country = random.Random(code), COUNTRIES[code]
    shapes = {
        "GB": r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}",
        "IE": r"[A-Z]\d{2} [0-9A-Z]{4}",
        "NL": r"\d{4} [A-Z]{2}",
        "US": r"\d{5}",
    }
    for city in country.cities:
        for _ in range(20):
            postcode = contact.postcode(rng, country, city)
            assert re.fullmatch(shapes.get(code, r"\d{5}"), postcode), postcode


@pytest.mark.parametrize("brand", list(identifiers.CARD_BINS))
def test_card_numbers_are_luhn_valid_numbers_of_their_brand(brand):
    rng = random.Random(brand)
    for _ in range(200):
        number = identifiers.card_number(rng, brand)
        assert luhn.is_valid(number)
        assert card_brand(number) == brand
