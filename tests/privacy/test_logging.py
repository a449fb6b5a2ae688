"""The desk's log lines hold no usable "this wasn't me" link and no card number."""

import io
import logging
import re
from urllib.parse import quote, quote_plus, unquote_plus

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from stdnum import luhn

from profiledesk.privacy.logging import RedactFilter, redact

TOKEN = "eyJ2IjoiYWJjIn0:1vXyZa:Q2hvY29sYXRlQ2FrZQ"


def test_a_report_links_token_and_a_card_number_are_redacted():
    line = f"Forbidden (CSRF token missing.): /confirm/report/{TOKEN} card 4111 1111 1111 1111"
    cleaned = redact(line)
    assert TOKEN not in cleaned and "/confirm/report/[redacted]" in cleaned
    assert "4111 1111 1111 1111" not in cleaned and "1111" in cleaned


@pytest.mark.django_db
def test_a_refused_report_link_leaves_no_token_in_the_log(client):
    [handler] = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactFilter) for f in h.filters)
    ]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        response = client.get(f"/confirm/report/{TOKEN}")
    finally:
        handler.setStream(previous)
    assert response.status_code in (404, 410)
    written = stream.getvalue()
    assert "/confirm/report/[redacted]" in written  # Django logged the refusal...
    assert TOKEN not in written  # ...without the token


@pytest.mark.parametrize(
    "line",
    [
        '"GET /customers/?q=4111%201111%201111%201111 HTTP/1.1" 200',
        '"GET /customers/?q=4111+1111+1111+1111 HTTP/1.1" 200',
        f'"GET /confirm/report/{TOKEN.replace(":", "%3A")} HTTP/1.1" 404',
    ],
)
def test_url_encoded_card_numbers_and_tokens_in_request_lines_are_redacted(line):
    cleaned = redact(line)
    assert "4111" not in cleaned.replace("411111••••••1111", "") and "Q2hvY29s" not in cleaned


def test_a_request_line_without_a_secret_is_left_as_it_was():
    line = '[05/Dec/2026:05:18:48 +0000] "GET /customers/?q=Mar%C3%ADa+Lopez HTTP/1.1" 200'
    assert redact(line) == line


def test_a_handler_added_later_without_the_filter_still_writes_no_secret():
    """The record factory (settings.LOGGING_CONFIG) redacts each record as it is made."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)  # a library's own handler: no RedactFilter
    logger = logging.getLogger("some.library")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("GET /confirm/report/%s?q=%s", TOKEN, "4111 1111 1111 1111")
        try:
            raise ValueError(f"no such link /confirm/report/{TOKEN}")
        except ValueError:
            logger.exception("report failed")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    written = stream.getvalue()
    assert "ValueError" in written and "report failed" in written
    assert TOKEN not in written and "4111 1111 1111 1111" not in written


def test_every_handler_the_desk_configures_has_the_redact_filter(settings):
    from profiledesk.gunicorn_conf import logconfig_dict

    for config in (settings.LOGGING, logconfig_dict):
        for name, handler in config["handlers"].items():
            assert "redact" in handler.get("filters", []), name
    assert settings.LOGGING["loggers"]["django"]["handlers"] == []  # not Django's console


def test_celerys_own_handlers_get_the_redact_filter():
    from celery.signals import after_setup_logger, after_setup_task_logger

    for signal in (after_setup_logger, after_setup_task_logger):
        logger = logging.getLogger(f"celery.test.{signal.name}")
        handler = logging.StreamHandler(io.StringIO())
        logger.addHandler(handler)
        try:
            signal.send(sender=None, logger=logger)
            assert any(isinstance(f, RedactFilter) for f in handler.filters)
        finally:
            logger.removeHandler(handler)


@hypothesis_settings(suppress_health_check=[HealthCheck.too_slow])  # a busy shared CI machine
@given(
    body=st.text(alphabet="0123456789", min_size=14, max_size=14),
    separator=st.sampled_from(["", " ", "-"]),
    encode=st.sampled_from([quote, quote_plus, str]),
    path=st.sampled_from(["/customers/?q=", "/tickets/?summary=", "/api/v1/x?ref="]),
)
def test_no_card_number_survives_in_a_request_line_however_it_is_url_encoded(
    body, separator, encode, path
):
    """A Luhn-valid 16-digit number, grouped by fours, in a query string as a browser or
    a scanner would send it: neither the digits nor their encoded form reach the log."""
    digits = "4" + body
    number = digits + luhn.calc_check_digit(digits)
    typed = separator.join(number[i : i + 4] for i in range(0, 16, 4))
    line = f'127.0.0.1 - - "GET {path}{encode(typed)} HTTP/1.1" 200 512'
    cleaned = redact(line)
    assert number not in re.sub(r"\D", "", unquote_plus(cleaned)), cleaned
    assert number[6:12] not in cleaned  # the middle digits, which redaction hides
