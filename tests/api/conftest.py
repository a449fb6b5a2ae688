"""A Northwind API key and a DRF test client that sends it."""

import uuid

import pytest
from rest_framework.test import APIClient

from profiledesk.api.keys import api_key_create

CARD = "4111 1111 1111 1111"  # a Luhn-valid Visa test number
CARD_DIGITS = CARD.replace(" ", "")


@pytest.fixture
def northwind_key(northwind):
    """(ApiKey, raw key) of Northwind's mobile app."""
    return api_key_create(client=northwind, name="Mobile app")


def bearer(raw_key: str) -> APIClient:
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return http


@pytest.fixture
def api(northwind_key) -> APIClient:
    return bearer(northwind_key[1])


def submit(http: APIClient, body: dict, *, key: str | None = None):
    """POST a change request with an Idempotency-Key (a fresh one unless given)."""
    return http.post(
        "/api/v1/change-requests/",
        body,
        format="json",
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
    )


def email_change(customer, new_email: str = "grace.new@example.com", **extra) -> dict:
    return {
        "customer": customer.number,
        "category": "contact",
        "changes": {"email": new_email},
        **extra,
    }
