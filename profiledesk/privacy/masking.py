"""The one masking module: every value the desk shows passes through `display`.

Masks keep just enough for an agent to match what a caller says (the domain of an
e-mail, the last digits of a phone or an ID) and nothing an impostor could harvest.
"""

import datetime
from collections.abc import Callable
from typing import Any

import phonenumbers

from .sensitivity import FieldPolicy, Sensitivity, Style

DOT = "•"
SECRET_SET = "•••••• (set)"  # noqa: S105 - what is shown, not a secret


def mask_email(value: str) -> str:
    local, sep, domain = value.partition("@")
    if not sep:
        return mask_last(value, 0)
    return f"{local[:1]}{DOT * 3}@{domain}"


def mask_phone(value: str) -> str:
    """+441632960123 -> +44 •••• ••0123 (country code and last four kept)."""
    digits = value.lstrip("+")
    if len(digits) <= 6:
        return DOT * len(digits)
    try:
        country = str(phonenumbers.parse(f"+{digits}").country_code)
    except phonenumbers.NumberParseException:
        country = digits[:2] if not digits.startswith("1") else digits[:1]
    return f"+{country} {DOT * 4} {DOT * 2}{digits[-4:]}"


def mask_last(value: str, keep: int = 4) -> str:
    compact = str(value).replace(" ", "")
    if len(compact) <= keep:
        return DOT * len(compact)
    tail = compact[-keep:] if keep else ""
    return f"{DOT * 4} {tail}".rstrip()


def mask_date(value: datetime.date | str) -> str:
    year = value.year if isinstance(value, datetime.date) else str(value)[:4]
    return f"{DOT * 2}/{DOT * 2}/{year}"


def mask_head(value: str, keep: int = 1) -> str:
    text = str(value)
    return f"{text[:keep]}{DOT * max(3, min(len(text) - keep, 8))}"


_MASKERS: dict[Style, Callable[[Any], str]] = {
    Style.PLAIN: lambda v: DOT * 6,
    Style.EMAIL: mask_email,
    Style.PHONE: mask_phone,
    Style.LAST4: mask_last,
    Style.DATE: mask_date,
    Style.ADDRESS: mask_head,
    Style.POSTCODE: lambda v: mask_head(v, keep=3),
    Style.PREMASKED: str,
}


def display(value, policy: FieldPolicy, *, revealed: bool = False) -> str:
    """The text to show for `value` under `policy`; secrets are never shown."""
    if value is None or value == "":
        return ""
    if policy.sensitivity == Sensitivity.SECRET:
        return SECRET_SET
    if revealed or not policy.masked_by_default:
        if isinstance(value, datetime.date):
            return value.isoformat()
        return str(value)
    return _MASKERS[policy.style](value)
