"""What the desk's own logs may hold: never a usable link, never a card number.

Django logs the path of refused and missing requests (`django.request`,
`django.security.csrf`), and a customer's "this wasn't me" link carries its signed token
in the path. `RedactFilter`, on every handler, replaces such tokens and anything that
looks like a card number in the formatted message before it is written.
"""

import logging
import re

from profiledesk.vault.cards import redact_card_numbers

# URL segments that are bearer tokens: /confirm/report/<token>.
TOKEN_PATHS = re.compile(r"(/confirm/report/)[^\s/?#\"'<>]+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    return redact_card_numbers(TOKEN_PATHS.sub(rf"\g<1>{REDACTED}", text))


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
