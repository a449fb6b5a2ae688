"""Security-question answers (docs/design.md §2, §4): compared after normalisation, stored only as
salted hashes."""

import pytest

from verification.answers import answer_matches, hash_answer, normalise_answer


@pytest.mark.parametrize(
    ("stored", "heard"),
    [
        ("Saint-Étienne", "saint etienne"),
        ("  Saint-Étienne ", "SAINT ETIENNE"),
        ("St Mary's", "st marys"),  # nobody hears an apostrophe over the phone
        ("St. Mary’s", "St Mary's"),
        ("Zoë", "zoe"),
        ("Müller", "muller"),
        ("Rex", "  rex  "),
        ("New York", "new-york"),
    ],
)
def test_an_answer_matches_whatever_its_case_spacing_accents_or_punctuation(stored, heard):
    assert answer_matches(heard, hash_answer(stored))


def test_normalisation_keeps_letters_and_digits_only():
    assert normalise_answer("  Saint-Étienne, 42! ") == "saintetienne42"


def test_a_wrong_answer_does_not_match():
    assert not answer_matches("St Joseph's", hash_answer("St Mary's"))


def test_a_different_number_in_the_answer_does_not_match():
    assert not answer_matches("Flat 12", hash_answer("Flat 21"))


def test_the_same_answer_hashed_twice_gives_two_different_hashes():
    first, second = hash_answer("Rex"), hash_answer("Rex")
    assert first != second
    assert answer_matches("rex", first)
    assert answer_matches("rex", second)


def test_the_hash_does_not_contain_the_answer():
    answer_hash = hash_answer("Saint-Étienne")
    assert "etienne" not in answer_hash.lower()


@pytest.mark.parametrize("answer", ["", "   ", "?!-'", None])
def test_an_empty_answer_cannot_be_set(answer):
    with pytest.raises(ValueError, match="cannot be empty"):
        hash_answer(answer)


@pytest.mark.parametrize("answer", ["", "   ", "?!"])
def test_an_empty_answer_never_matches(answer):
    assert not answer_matches(answer, hash_answer("Rex"))
