"""A hostile JSON body is a 4xx with a reason, never a 500, and opens nothing: nesting and
size are measured before the body is parsed (profiledesk/api/parsers.py); invisible
characters in the free-text fields are refused per field."""

import json

import pytest

from profiledesk.api.models import IdempotencyRecord
from profiledesk.tickets.models import Ticket
from tests.api.conftest import email_change, submit
from tests.hardening.test_malformed_input import INVISIBLE

API_URL = "/api/v1/change-requests/"


def _post_raw(api, body: bytes):
    return api.generic(
        "POST", API_URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="raw-1"
    )


# --- the API's JSON ------------------------------------------------------------------------


def test_changes_nested_2000_objects_deep_are_a_400_naming_the_limit(api, customer, settings):
    nested = '{"a":' * 2000 + "1" + "}" * 2000
    body = f'{{"customer": "{customer.number}", "category": "contact", "changes": {nested}}}'
    response = _post_raw(api, body.encode())
    assert response.status_code == 400
    assert f"more than {settings.API_JSON_MAX_DEPTH} levels" in response.json()["detail"]
    assert not Ticket.objects.exists() and not IdempotencyRecord.objects.exists()


def test_brackets_inside_strings_do_not_count_as_nesting(api, customer):
    body = email_change(customer, comment="[[[[{{{{" * 100)
    assert submit(api, body).status_code == 201


def test_a_body_over_the_size_limit_is_refused_before_it_is_parsed(api, settings):
    settings.API_JSON_MAX_BYTES = 1024
    response = _post_raw(api, json.dumps({"comment": "x" * 2000}).encode())
    assert response.status_code == 413
    assert "larger than 1024 bytes" in response.json()["detail"]


@pytest.mark.parametrize("body", [b"\xff\xfe{}", b'{"a": ', b"NaN"])
def test_bytes_that_are_not_json_are_a_400_with_a_reason(api, body):
    response = _post_raw(api, body)
    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.mark.parametrize("char", INVISIBLE)
@pytest.mark.parametrize("field", ["summary", "comment"])
def test_the_api_refuses_invisible_characters_naming_the_field(api, customer, field, char):
    response = submit(api, email_change(customer, **{field: f"txt{char}exe.pdf"}))
    assert response.status_code == 400
    assert "invisible or direction-changing" in json.dumps(response.json()[field])
    assert not Ticket.objects.exists()
