"""The vault is an adapter (docs/design.md §2): local for the demo and tests, the payment
provider's in production. The desk gives it a number once and keeps only the token."""

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class CardToken:
    token: str
    fingerprint: str
    brand: str
    bin: str
    last4: str


@dataclass(frozen=True)
class BankToken:
    token: str
    fingerprint: str
    iban_masked: str
    country: str


class Vault(Protocol):
    def tokenize_card(self, number: str) -> CardToken: ...

    def tokenize_iban(self, iban: str) -> BankToken: ...

    def reveal_iban(self, token: str) -> str: ...


def get_vault() -> Vault:
    return import_string(settings.VAULT_BACKEND)()
