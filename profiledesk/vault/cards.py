"""Card numbers at the edge: validate (Luhn), tell the brand, redact. Nothing is kept."""

import re
import unicodedata
from typing import Any

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


# What people (and people dodging a filter) put between the digits of a card number:
# any whitespace (no-break and the other Unicode spaces, line breaks), any dash, dots,
# slashes, underscores, and the invisible format characters (zero-width, bidi marks,
# soft hyphen) that would otherwise split a number without showing.
_SEPARATORS = (  # the inside of a regex character class, as escapes (the file stays ASCII)
    r"\s"
    r"\-\u058a\u05be\u1400\u1806\u2010-\u2015\u2212\u2e17\u2e1a\u2e3a\u2e3b\u2e40"
    r"\u2e5d\u301c\u3030\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d"  # dashes (Pd) and minus
    r".\u00b7\u2024\u2027\u3002\ufe52\uff0e\uff61"  # dots
    r"/\u2044\u2215\u29f8\uff0f"  # slashes
    r"_\u203f\u2040\ufe33\ufe34\ufe4d-\ufe4f\uff3f"  # underscores
    r"\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
)
_DIGIT_RUN = re.compile(rf"(?<!\d)\d+(?:[{_SEPARATORS}]+\d+)*")
# A UUID or a hex digest (SHA-256 of a diff, a file) is an identifier, not a card, even
# when a stretch of it is all digits; no card is written as 32 hex characters in a row.
_IDENTIFIER = (
    r"(?<![0-9A-Za-z])(?:[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32,})"
    r"(?![0-9A-Za-z])"
)
_CANDIDATE = re.compile(rf"(?P<identifier>{_IDENTIFIER})|{_DIGIT_RUN.pattern}")
_GROUP = re.compile(r"\d+")
REDACTED = "•"


def _redact_run(run: str) -> str:
    """Show only BIN + last four of every 13-19 digit card number inside `run`, written
    without its separators: "4111 1111 1111 1111" -> "411111••••••1111", and so is
    "4111.1111/1111_1111".

    A card may sit among other numbers ("exp 12 25 4111 1111 1111 1111"), so every
    stretch of whole groups with 13 to 19 digits is tried, not only the whole run; a
    digit is hidden when any Luhn-valid stretch hides it. Any Unicode decimal digit
    counts (4111… typed in full-width digits on a Japanese keyboard is a card number too).
    """
    positions: list[int] = []  # where each digit is in `run`
    group_starts: list[int] = []  # index in `positions` of each group's first digit
    group_ends: set[int] = set()  # index in `positions` just past each group
    for group in _GROUP.finditer(run):
        group_starts.append(len(positions))
        positions.extend(range(group.start(), group.end()))
        group_ends.add(len(positions))
    values = [unicodedata.decimal(run[i]) for i in positions]
    hidden: set[int] = set()
    joined: set[int] = set()  # separators inside a card, dropped from the output
    for begin in group_starts:
        # Luhn doubles every second digit counted from the right: keep both sums, one
        # with the even offsets doubled and one with the odd, and pick by the length.
        even_doubled = odd_doubled = 0
        for offset, value in enumerate(values[begin : begin + 19]):
            doubled = value * 2 - 9 if value > 4 else value * 2
            even_doubled += value if offset % 2 else doubled
            odd_doubled += doubled if offset % 2 else value
            length = offset + 1
            total = even_doubled if length % 2 == 0 else odd_doubled
            if length >= 13 and begin + length in group_ends and total % 10 == 0:
                hidden.update(positions[begin + 6 : begin + length - 4])
                joined.update(range(positions[begin], positions[begin + length - 1]))
    if not hidden:
        return run
    digits = set(positions)
    return "".join(
        REDACTED if i in hidden else ch
        for i, ch in enumerate(run)
        if i in digits or i not in joined
    )


def redact_card_numbers(text: str) -> str:
    """Hide every Luhn-valid card-like number in free text but its BIN and last four:
    "my card is 4111 1111 1111 1111" -> "my card is 411111••••••1111"."""
    return _CANDIDATE.sub(
        lambda match: match.group(0) if match["identifier"] else _redact_run(match.group(0)),
        text or "",
    )


def redact_card_numbers_in(value: object) -> Any:
    """`value` (JSON-like: dicts, lists, strings) with every string redacted."""
    if isinstance(value, str):
        return redact_card_numbers(value)
    if isinstance(value, dict):
        return {key: redact_card_numbers_in(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_card_numbers_in(item) for item in value]
    return value
