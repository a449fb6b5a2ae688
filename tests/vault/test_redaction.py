"""Card numbers typed into free text (comments, e-mails, chats) are redacted on arrival:
at most BIN + last four survive (docs/design.md §2, PCI DSS 3.4.1)."""

import hashlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from profiledesk.vault.cards import redact_card_numbers


def test_a_card_in_a_sentence_keeps_only_its_bin_and_last_four():
    redacted = redact_card_numbers("my card is 4111 1111 1111 1111 thanks")
    assert redacted == "my card is 411111••••••1111 thanks"


def test_a_card_typed_without_spaces_keeps_only_its_bin_and_last_four():
    assert redact_card_numbers("card:4111111111111111.") == "card:411111••••••1111."


def test_a_card_typed_with_dashes_is_redacted():
    assert redact_card_numbers("5555-5555-5555-4444") == "555555••••••4444"


def test_every_card_in_a_message_is_redacted():
    text = "old 4222222222222, new 378282246310005 or 6011 0009 9013 9424"
    assert redact_card_numbers(text) == (
        "old 422222•••2222, new 378282•••••0005 or 601100••••••9424"
    )


@pytest.mark.parametrize(
    "text",
    [
        "exp 12 25 4111 1111 1111 1111",
        "ref 12 4111 1111 1111 1111",
        "4111 1111 1111 1111 2030",
        "card 5555 5555 5555 4444 12 30 cvv withheld",
    ],
)
def test_a_card_next_to_other_numbers_is_still_redacted(text):
    assert "1111 1111" not in redact_card_numbers(text)
    assert "5555 5555" not in redact_card_numbers(text)


FULL_WIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + d) for d in range(10)))


def test_a_card_typed_in_full_width_digits_is_redacted():
    typed = "カード 4111 1111 1111 1111".translate(FULL_WIDTH)
    assert typed[4] == "\uff14"  # really the full-width four a Japanese keyboard types
    assert redact_card_numbers(typed) == "カード 411111••••••1111".translate(FULL_WIDTH)


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # wrong check digit: not a card
        "call me on +44 7700 900123",
        "order 123456789012 of 2025-01-31 12:00",
        "a reference of 25 digits 1234567890123456789012345",
        "",
    ],
)
def test_numbers_that_are_not_cards_are_left_alone(text):
    assert redact_card_numbers(text) == text


def _card(prefix: str, length: int, body: str) -> str:
    partial = (prefix + body)[: length - 1].ljust(length - 1, "0")
    return partial + luhn.calc_check_digit(partial)


cards = st.builds(
    _card,
    prefix=st.sampled_from(["4", "51", "2221", "34", "37", "6011", "3528", "36", "6759"]),
    length=st.integers(13, 19),
    body=st.text(alphabet="0123456789", min_size=18, max_size=18),
)
typed_as = st.sampled_from(["{}", "groups of 4 with spaces", "groups of 4 with dashes"])
short_numbers = st.text(alphabet="0123456789", max_size=4)
words = st.text(alphabet="abcxyz.,:;!?()", max_size=8)


def _typed(card: str, style: str) -> str:
    if style == "{}":
        return card
    separator = " " if "spaces" in style else "-"
    return separator.join(card[i : i + 4] for i in range(0, len(card), 4))


# Free text as customers type it: words, numbers and card numbers, with the separators
# people put between them.
free_text = st.lists(
    st.tuples(
        st.one_of(cards, st.text(alphabet="0123456789", max_size=20), short_numbers, words),
        st.sampled_from([" ", "-", "  ", ", ", ""]),
    ),
    max_size=8,
).map(lambda parts: "".join(part + sep for part, sep in parts))


@given(st.one_of(free_text, st.text(alphabet="0123456789 -ab", max_size=80)))
def test_no_luhn_valid_13_to_19_digit_run_of_the_input_survives(text):
    survivors = [
        run
        for run in re.findall(r"\d+", redact_card_numbers(text))
        if 13 <= len(run) <= 19 and luhn.is_valid(run) and run in text
    ]
    assert not survivors


@given(cards, typed_as, words, short_numbers, short_numbers, words)
def test_a_card_among_words_and_short_numbers_is_never_readable_after_redaction(
    card, style, before, number_before, number_after, after
):
    text = f"{before} {number_before} {_typed(card, style)} {number_after} {after}"
    redacted = redact_card_numbers(text)
    assert card not in re.sub(r"[\s-]", "", redacted)


@given(
    st.lists(
        st.one_of(st.integers(0, 10**12 - 1).map(str), st.text(alphabet="abc xyz", max_size=10)),
        max_size=8,
    )
)
def test_text_with_numbers_of_at_most_12_digits_is_unchanged(parts):
    text = ", ".join(parts)
    assert redact_card_numbers(text) == text


@given(st.binary(min_size=1, max_size=64))
def test_hex_digests_are_left_alone(content):
    digest = hashlib.sha256(content).hexdigest()
    assert redact_card_numbers(f"diff {digest} signed") == f"diff {digest} signed"
