"""The one masking module: what an agent sees of each kind of value before a reveal."""

import datetime as dt

import pytest

from profiledesk.privacy.masking import (
    SECRET_SET,
    display,
    mask_date,
    mask_email,
    mask_head,
    mask_last,
    mask_phone,
)
from profiledesk.privacy.sensitivity import (
    PERSONAL,
    PUBLIC,
    SECRET,
    Style,
    personal,
    sensitive,
)


def test_an_email_keeps_its_first_letter_and_domain_only():
    assert mask_email("jane.doe@example.com") == "j•••@example.com"


def test_a_long_local_part_gives_the_same_mask_as_a_short_one():
    # The mask must not tell an impostor how long the address is.
    assert mask_email("j@example.com") == mask_email("jonathan.livingston@example.com")


def test_a_text_without_at_sign_is_masked_entirely():
    assert mask_email("not-an-address") == "••••"


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+447700900123", "+44 •••• ••0123"),
        ("+12025550123", "+1 •••• ••0123"),
        ("+34612345678", "+34 •••• ••5678"),
        # A three-digit country code is shown whole, not cut to "+35".
        ("+353861234567", "+353 •••• ••4567"),
    ],
)
def test_a_phone_keeps_its_country_code_and_last_four_digits(number, masked):
    assert mask_phone(number) == masked


def test_a_very_short_phone_shows_no_digit_at_all():
    assert mask_phone("+12345") == "•••••"


def test_last_four_keeps_the_last_four_characters():
    assert mask_last("QQ123456C") == "•••• 456C"
    assert mask_last("GB82 WEST 1234 5698 7654 32") == "•••• 5432"


def test_a_value_no_longer_than_what_would_be_kept_is_masked_whole():
    assert mask_last("1234") == "••••"


def test_a_date_keeps_only_the_year():
    assert mask_date(dt.date(1984, 3, 7)) == "••/••/1984"
    assert mask_date("1984-03-07") == "••/••/1984"


def test_an_address_line_keeps_its_first_character_and_hides_its_length():
    assert mask_head("10 Downing Street") == "1••••••••"
    assert mask_head("1 A") == "1•••"


def test_a_postcode_keeps_its_outward_part():
    assert display("SW1A 2AA", personal(Style.POSTCODE)) == "SW1•••••"


@pytest.mark.parametrize(
    ("value", "policy", "shown"),
    [
        ("jane@example.com", personal(Style.EMAIL), "j•••@example.com"),
        ("+447700900123", personal(Style.PHONE), "+44 •••• ••0123"),
        ("10 Downing Street", personal(Style.ADDRESS), "1••••••••"),
        (dt.date(1984, 3, 7), sensitive(Style.DATE), "••/••/1984"),
        ("QQ123456C", sensitive(Style.LAST4), "•••• 456C"),
    ],
)
def test_contact_details_and_sensitive_values_are_masked_by_default(value, policy, shown):
    assert display(value, policy) == shown


@pytest.mark.parametrize(
    ("value", "policy", "shown"),
    [
        ("jane@example.com", personal(Style.EMAIL), "jane@example.com"),
        (dt.date(1984, 3, 7), sensitive(Style.DATE), "1984-03-07"),
        ("QQ123456C", sensitive(Style.LAST4), "QQ123456C"),
    ],
)
def test_a_revealed_value_is_shown_in_full(value, policy, shown):
    assert display(value, policy, revealed=True) == shown


def test_public_and_personal_values_that_are_not_contact_details_are_shown_as_is():
    assert display("Grace Hopper", PERSONAL) == "Grace Hopper"
    assert display("NWE-0001234", PUBLIC) == "NWE-0001234"


@pytest.mark.parametrize("revealed", [False, True])
def test_a_secret_is_never_shown_even_when_revealed(revealed):
    answer_hash = "md5$salt$0123456789abcdef"
    shown = display(answer_hash, SECRET, revealed=revealed)
    assert shown == SECRET_SET
    assert answer_hash not in shown


def test_a_secret_policy_cannot_be_revealed():
    assert SECRET.masked_by_default
    assert not SECRET.revealable


def test_an_empty_value_shows_nothing_rather_than_a_mask():
    assert display("", personal(Style.EMAIL)) == ""
    assert display(None, SECRET) == ""
