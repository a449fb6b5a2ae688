"""The desk's log lines hold no usable "this wasn't me" link and no card number."""

import io
import logging

import pytest

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
