"""The local vault: cards become tokens it cannot give back; IBANs are kept for an
audited reveal. The profile only ever holds tokens and masked values."""

import hashlib

import pytest
from stdnum.exceptions import ValidationError

from profiledesk.vault.cards import CardNumberError
from profiledesk.vault.local import LocalVault
from profiledesk.vault.models import VaultedIban

IBAN = "GB82 WEST 1234 5698 7654 32"


@pytest.fixture
def vault():
    return LocalVault()


def test_a_card_becomes_a_token_with_brand_bin_and_last_four(vault):
    token = vault.tokenize_card("4111 1111 1111 1111")
    assert token.token.startswith("tok_card_")
    assert (token.brand, token.bin, token.last4) == ("visa", "411111", "1111")
    assert "4111111111111111" not in token.token


def test_the_same_card_typed_twice_has_the_same_fingerprint_and_different_tokens(vault):
    first = vault.tokenize_card("4111 1111 1111 1111")
    second = vault.tokenize_card("4111-1111-1111-1111")
    assert first.fingerprint == second.fingerprint
    assert first.token != second.token


def test_two_cards_have_different_fingerprints(vault):
    visa = vault.tokenize_card("4111111111111111")
    other = vault.tokenize_card("4012888888881881")
    assert visa.fingerprint != other.fingerprint


def test_a_card_fingerprint_is_keyed_so_a_leaked_table_cannot_be_brute_forced(vault):
    # Card numbers have little entropy: a bare hash would give them away (PCI DSS 3.5.1).
    token = vault.tokenize_card("4111111111111111")
    assert token.fingerprint != hashlib.sha256(b"4111111111111111").hexdigest()
    assert token.fingerprint != hashlib.sha256(b"card:4111111111111111").hexdigest()


def test_an_invalid_card_gets_no_token(vault):
    with pytest.raises(CardNumberError):
        vault.tokenize_card("4111 1111 1111 1112")


def test_an_iban_round_trips_through_the_vault(db, vault):
    token = vault.tokenize_iban(IBAN)
    assert token.token.startswith("tok_iban_")
    assert token.iban_masked == "GB•• •••• •••• 5432"
    assert token.country == "GB"
    assert vault.reveal_iban(token.token) == IBAN


def test_an_iban_typed_compact_and_lower_case_is_the_same_account(db, vault):
    typed = vault.tokenize_iban("gb82west12345698765432")
    spaced = vault.tokenize_iban(IBAN)
    assert typed.fingerprint == spaced.fingerprint
    assert vault.reveal_iban(typed.token) == IBAN


def test_an_invalid_iban_is_refused_and_nothing_is_kept(db, vault):
    with pytest.raises(ValidationError):
        vault.tokenize_iban("GB00 WEST 1234 5698 7654 32")
    assert not VaultedIban.objects.exists()


@pytest.mark.parametrize("kind", ["card", "iban"])
def test_no_token_reads_as_a_card_number(db, vault, monkeypatch, kind):
    # The apply refuses a token with a card number in it (a PAN smuggled into the
    # vault_token column), so a random token that happens to hold a Luhn-valid run of
    # digits would make a good change fail: the vault draws again.
    from profiledesk.vault import local
    from profiledesk.vault.cards import redact_card_numbers

    draws = iter(["4111111111111111abcdef01", "0123456789abcdef01234567"])
    monkeypatch.setattr(local.secrets, "token_hex", lambda n: next(draws))
    if kind == "card":
        token = vault.tokenize_card("5555555555554444").token
    else:
        token = vault.tokenize_iban(IBAN).token
    assert token == f"tok_{kind}_0123456789abcdef01234567"
    assert redact_card_numbers(token) == token
