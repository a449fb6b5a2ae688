"""What the desk's own logs may hold: never a usable link, never a card number.

Django logs the path of refused and missing requests (`django.request`,
`django.security.csrf`), the development server and gunicorn log every request line, and
a customer's "this wasn't me" link carries its signed token in the path (a card number
typed into the customer search sits in the query string). Two layers keep them out:

- `RedactFilter` on every handler the desk configures (settings.LOGGING, Celery's
  handlers through its logging signals in profiledesk/celery.py, gunicorn's in
  profiledesk/gunicorn_conf.py);
- a log-record factory (`install_record_factory`, installed by `configure`, Django's
  LOGGING_CONFIG) that redacts each record when it is created, so that a handler a library
  adds later, without the filter, still writes nothing to redact.
"""

import logging
import logging.config
import re
from typing import Any
from urllib.parse import unquote_plus

from pythonjsonlogger.json import JsonFormatter

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


_TRACEBACKS = logging.Formatter()


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken call: the handler reports it when it formats the record
        return
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    # An exception's message may quote a path; formatters reuse a record's exc_text.
    if record.exc_info and not record.exc_text:
        trace = _TRACEBACKS.formatException(record.exc_info)
        cleaned = redact(trace)
        if cleaned != trace:
            record.exc_text = cleaned
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


def _redacted(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_redacted(item) for item in value]
    return redact(str(value))  # a string, or an object the JSON would hold as its str()


class RedactingJsonFormatter(JsonFormatter):
    """`LOG_FORMAT=json`: python-json-logger's formatter, with every value redacted once
    more as it is written — the `extra` fields too, which no record factory sees."""

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        log_data = super().process_log_record(log_data)
        return {key: _redacted(value) for key, value in log_data.items()}


def install_record_factory() -> None:
    """Redact every record this process creates, whichever handler writes it (once)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    factory.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def attach_filter(logger: logging.Logger) -> None:
    """Put RedactFilter on each handler of `logger` that lacks one (Celery's own)."""
    for handler in logger.handlers:
        if not any(isinstance(f, RedactFilter) for f in handler.filters):
            handler.addFilter(RedactFilter())


def configure(config: dict) -> None:
    """LOGGING_CONFIG: the record factory first, then settings.LOGGING."""
    install_record_factory()
    logging.config.dictConfig(config)
