"""What the desk's own logs may hold: never a usable link, never a card number.

Django logs the path of refused and missing requests (`django.request`,
`django.security.csrf`), and a customer's "this wasn't me" link carries its signed token
in the path. `RedactFilter`, on every handler, replaces such tokens and anything that
looks like a card number in the formatted message before it is written.
"""

import logging
import re
from urllib.parse import unquote_plus

from profiledesk.vault.cards import redact_card_numbers

# URL segments that are bearer tokens: /confirm/report/<token>.
TOKEN_PATHS = re.compile(r"(/confirm/report/)[^\s/?#\"'<>]+")
REDACTED = "[redacted]"


def _decoded(text: str) -> str:
    """`text` with URL encoding undone, twice encoded too ("4111%25201111" -> "4111 1111"):
    an access log line holds the query string as the browser sent it."""
    for _ in range(3):
        decoded = unquote_plus(text)
        if decoded == text:
            break
        text = decoded
    return text


def redact(text: str) -> str:
    text = TOKEN_PATHS.sub(rf"\g<1>{REDACTED}", text)
    cleaned = redact_card_numbers(text)
    if "%" in text or "+" in text:
        # A card written "4111%201111+1111..." is only seen decoded; when there is one,
        # the line is written decoded (and redacted) rather than as it came.
        decoded = _decoded(cleaned)
        if redact_card_numbers(decoded) != decoded:
            cleaned = redact_card_numbers(TOKEN_PATHS.sub(rf"\g<1>{REDACTED}", decoded))
    return cleaned


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
