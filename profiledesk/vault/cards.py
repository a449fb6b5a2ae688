"""Card numbers at the edge: validate (Luhn), tell the brand, redact. Nothing is kept."""

import re
import unicodedata

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


# Digits split by single spaces or dashes, as people type them: "4111 1111-1111 1111".
_DIGIT_RUN = re.compile(r"(?<!\d)\d+(?:[ -]\d+)*")
_GROUP = re.compile(r"\d+")
REDACTED = "•"


def _redact_run(run: str) -> str:
    """Show only BIN + last four of every 13-19 digit card number inside `run`, written
    without its separators: "4111 1111 1111 1111" -> "411111••••••1111".

    A card may sit among other numbers ("exp 12 25 4111 1111 1111 1111"), so every
    stretch of whole groups with 13 to 19 digits is tried, not only the whole run; a
    digit is hidden when any Luhn-valid stretch hides it. Any Unicode decimal digit
    counts ("４１１１" typed with a Japanese keyboard is a card number too).
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
    return "".join(
        REDACTED if i in hidden else ch
        for i, ch in enumerate(run)
        if ch not in " -" or i not in joined
    )


def redact_card_numbers(text: str) -> str:
    """Hide every Luhn-valid card-like number in free text but its BIN and last four:
    "my card is 4111 1111 1111 1111" -> "my card is 411111••••••1111"."""
    return _DIGIT_RUN.sub(lambda match: _redact_run(match.group(0)), text or "")
