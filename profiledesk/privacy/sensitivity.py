"""Sensitivity classes of profile fields (docs/design.md §2).

Every field of every profile model declares a `FieldPolicy` in the model's
`field_policies` mapping (a test holds every model to it). The masking module reads the
policy to decide what a staff member sees.
"""

from dataclasses import dataclass
from enum import StrEnum


class Sensitivity(StrEnum):
    PUBLIC = "public"  # shown as is
    PERSONAL = "personal"  # shown, except contact details before the caller is verified
    SENSITIVE = "sensitive"  # masked by default; revealing it is an audited action
    SECRET = "secret"  # noqa: S105 - never stored in clear or shown (cards, answers, codes)


class Style(StrEnum):
    """How a value looks once masked."""

    PLAIN = "plain"
    EMAIL = "email"  # j•••@example.com
    PHONE = "phone"  # +44 •••• ••1234
    LAST4 = "last4"  # •••• 1234
    DATE = "date"  # ••/••/1984
    ADDRESS = "address"  # 1••••••
    POSTCODE = "postcode"  # SW1•••
    PREMASKED = "premasked"  # stored already masked (an IBAN from the vault): shown as is


# Styles that are "contact details": masked until the caller's identity is verified.
CONTACT_STYLES = frozenset({Style.EMAIL, Style.PHONE, Style.ADDRESS, Style.POSTCODE})


@dataclass(frozen=True)
class FieldPolicy:
    sensitivity: Sensitivity
    style: Style = Style.PLAIN

    @property
    def masked_by_default(self) -> bool:
        if self.sensitivity in (Sensitivity.SENSITIVE, Sensitivity.SECRET):
            return True
        return self.sensitivity == Sensitivity.PERSONAL and self.style in CONTACT_STYLES

    @property
    def revealable(self) -> bool:
        return self.masked_by_default and self.sensitivity != Sensitivity.SECRET


PUBLIC = FieldPolicy(Sensitivity.PUBLIC)
PERSONAL = FieldPolicy(Sensitivity.PERSONAL)
SECRET = FieldPolicy(Sensitivity.SECRET)


def personal(style: Style) -> FieldPolicy:
    return FieldPolicy(Sensitivity.PERSONAL, style)


def sensitive(style: Style) -> FieldPolicy:
    return FieldPolicy(Sensitivity.SENSITIVE, style)
