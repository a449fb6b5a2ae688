"""Card numbers at the edge: validate (Luhn), tell the brand, redact. Nothing is kept."""

import re

from stdnum import luhn

# Issuer ranges (IIN) for the brands a BPO meets; first match wins.
_BRANDS: list[tuple[str, re.Pattern[str], tuple[int, ...]]] = [
    ("amex", re.compile(r"^3[47]"), (15,)),
    ("visa", re.compile(r"^4"), (13, 16, 19)),
    ("mastercard", re.compile(r"^(5[1-5]|2(2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720))"), (16,)),
    ("discover", re.compile(r"^(6011|65|64[4-9])"), (16, 19)),
    ("jcb", re.compile(r"^35(2[89]|[3-8]\d)"), (16, 19)),
    ("diners", re.compile(r"^3(0[0-5]|[689])"), (14, 16)),
    ("maestro", re.compile(r"^(5018|5020|5038|6304|6759|676[1-3])"), (12, 13, 16, 19)),
]


class CardNumberError(ValueError):
    """Raised with a message that is safe to show: it never contains the number."""


def compact(number: str) -> str:
    return re.sub(r"[\s-]", "", number or "")


def card_brand(number: str) -> str | None:
    digits = compact(number)
    for brand, prefix, lengths in _BRANDS:
        if prefix.match(digits) and len(digits) in lengths:
            return brand
    return None


def validate_card_number(number: str) -> str:
    """The compact number if it is a plausible, Luhn-valid card of a known brand."""
    digits = compact(number)
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        raise CardNumberError("A card number has 12 to 19 digits.")
    if not luhn.is_valid(digits):
        raise CardNumberError("This card number is not valid: check the digits.")
    if card_brand(digits) is None:
        raise CardNumberError("This card brand is not accepted.")
    return digits


# 13-19 digits, optionally split by single spaces or dashes: what people type.
_CARD_LIKE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


def redact_card_numbers(text: str) -> str:
    """Replace every Luhn-valid card-like number in free text by BIN + last four."""

    def _redact(match: re.Match[str]) -> str:
        digits = compact(match.group(0))
        if not luhn.is_valid(digits):
            return match.group(0)
        return f"{digits[:6]}{'•' * (len(digits) - 10)}{digits[-4:]}"

    return _CARD_LIKE.sub(_redact, text or "")
