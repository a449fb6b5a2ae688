"""Card numbers at the edge (docs/design.md §2, PCI DSS 3.3-3.4): validated, branded, never
echoed."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from profiledesk.vault.cards import CardNumberError, card_brand, compact, validate_card_number

# Published test numbers of each brand the desk accepts.
TEST_CARDS = [
    ("4111 1111 1111 1111", "visa"),
    ("4012888888881881", "visa"),
    ("4222222222222", "visa"),  # 13 digits
    ("5555 5555 5555 4444", "mastercard"),
    ("5105-1051-0510-5100", "mastercard"),
    ("2223 0000 4840 0011", "mastercard"),  # 2-series
    ("3782 822463 10005", "amex"),
    ("371449635398431", "amex"),
    ("6011 1111 1111 1117", "discover"),
    ("6011000990139424", "discover"),
    ("3530 1113 3330 0000", "jcb"),
    ("3566002020360505", "jcb"),
    ("3056 930902 5904", "diners"),
    ("38520000023237", "diners"),
    ("6759649826438453", "maestro"),
    ("6304000000000000", "maestro"),
]


@pytest.mark.parametrize(("number", "brand"), TEST_CARDS)
def test_a_valid_card_of_each_brand_is_accepted_as_its_digits(number, brand):
    assert validate_card_number(number) == re.sub(r"\D", "", number)
    assert card_brand(number) == brand


def _refusal(number: str) -> str:
    with pytest.raises(CardNumberError) as refused:
        validate_card_number(number)
    return str(refused.value)


def test_a_wrong_check_digit_is_refused_without_repeating_the_number():
    message = _refusal("4111 1111 1111 1112")
    assert message == "This card number is not valid: check the digits."
    assert "4111" not in message


def test_a_luhn_valid_number_of_no_known_brand_is_refused():
    number = "1234567812345670"
    assert luhn.is_valid(number)
    assert _refusal(number) == "This card brand is not accepted."


def test_a_brand_prefix_with_the_wrong_length_is_refused():
    number = "4" * 16 + luhn.calc_check_digit("4" * 16)  # 17 digits: Visa has 13, 16 or 19
    assert card_brand(number) is None
    assert _refusal(number) == "This card brand is not accepted."


@pytest.mark.parametrize(
    "number", ["", "4111 1111", "4111 1111 1111 1111 1111", "4111-abcd-1111-1111"]
)
def test_something_that_is_not_12_to_19_digits_is_refused(number):
    assert _refusal(number) == "A card number has 12 to 19 digits."


@given(st.text(alphabet="0123456789 -", min_size=4, max_size=30))
def test_any_typed_number_is_either_accepted_as_a_valid_card_or_refused_safely(number):
    digits = compact(number)
    try:
        accepted = validate_card_number(number)
    except CardNumberError as refused:
        # Neither the number nor any four digits of it in what may be shown or logged.
        assert digits not in str(refused) or len(digits) < 4
        assert not re.search(r"\d{4}", str(refused))
    else:
        assert accepted == digits
        assert re.fullmatch(r"[0-9]{12,19}", accepted)
        assert luhn.is_valid(accepted)
        assert card_brand(accepted) is not None


@given(st.text(max_size=40))
def test_any_text_at_all_gives_a_card_or_a_card_number_error_and_nothing_else(text):
    try:
        validate_card_number(text)
    except CardNumberError as refused:
        assert not re.search(r"\d{4}", str(refused))
