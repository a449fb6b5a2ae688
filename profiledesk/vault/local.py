"""The local vault for the demo and tests.

Cards: the number is validated, fingerprinted with an HMAC and dropped; the local vault
keeps nothing it could give back (a real provider would charge it; the desk never needs
it). Bank accounts: the IBAN is kept in the vault's own table so that an audited reveal
can show it; the profile holds only the token and the masked IBAN.
"""

import hashlib
import hmac
import secrets

from django.conf import settings
from stdnum import iban as stdnum_iban

from .adapters import BankToken, CardToken
from .cards import card_brand, redact_card_numbers, validate_card_number
from .models import VaultedIban


def _fingerprint(kind: str, value: str) -> str:
    key = f"vault-fingerprint:{settings.SECRET_KEY}".encode()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def mask_iban(iban: str) -> str:
    compact = stdnum_iban.compact(iban)
    return f"{compact[:2]}•• •••• •••• {compact[-4:]}"


def _new_token(kind: str) -> str:
    """A random token none of whose digit runs reads as a card number: one that did
    would be masked in every log and refused by the apply's own check for a card
    number hidden in a token (about 1 in 400 random hex tokens would)."""
    while True:
        token = f"tok_{kind}_{secrets.token_hex(12)}"
        if redact_card_numbers(token) == token:
            return token


class LocalVault:
    def tokenize_card(self, number: str) -> CardToken:
        digits = validate_card_number(number)
        return CardToken(
            token=_new_token("card"),
            fingerprint=_fingerprint("card", digits),
            brand=card_brand(digits) or "unknown",
            bin=digits[:6],
            last4=digits[-4:],
        )

    def tokenize_iban(self, iban: str) -> BankToken:
        record, token = self._vaulted(iban)
        record.save(force_insert=True)
        return token

    def tokenize_ibans(self, ibans: list[str]) -> list[BankToken]:
        """tokenize_iban for many IBANs in one insert (demo seeding), in the same order."""
        vaulted = [self._vaulted(iban) for iban in ibans]
        VaultedIban.objects.bulk_create([record for record, _ in vaulted], batch_size=2000)
        return [token for _, token in vaulted]

    def _vaulted(self, iban: str) -> tuple[VaultedIban, BankToken]:
        compact = stdnum_iban.validate(iban)  # raises stdnum's ValidationError
        fingerprint = _fingerprint("iban", compact)
        record = VaultedIban(token=_new_token("iban"), iban=compact, fingerprint=fingerprint)
        token = BankToken(
            token=record.token,
            fingerprint=fingerprint,
            iban_masked=mask_iban(compact),
            country=compact[:2],
        )
        return record, token

    def reveal_iban(self, token: str) -> str:
        return stdnum_iban.format(VaultedIban.objects.get(token=token).iban)
