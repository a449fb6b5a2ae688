"""Straight-through processing's fixtures: a Northwind API key, a request sent with it,
evidence recorded without an agent, and the switch.

The evidence is an `Attempt` of the client app's assertion method (profiledesk/assertions,
code "assertion"), recorded by no agent at the level in its detail, as `assertion_record`
records one; tests/automation/test_end_to_end.py sends a real signed assertion through the
API instead.
"""

import datetime as dt
import uuid

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from profiledesk.api.keys import api_key_create
from profiledesk.assertions.models import AppKey
from profiledesk.assertions.services import app_key_register
from profiledesk.automation.services import switch_set
from profiledesk.tickets.models import Ticket
from tests.assertions.keys import ISSUER, private_key, public_pem
from verification.models import Attempt, Purpose, Result

STP_METHOD = "assertion"  # profiledesk/assertions/method.py


@pytest.fixture(autouse=True)
def office_hours():
    """A Wednesday at 11:00 in London, the clock running: within Northwind's business
    hours, so that no test's risk depends on when it runs."""
    with time_machine.travel(dt.datetime(2026, 12, 2, 11, 0, tzinfo=dt.UTC), tick=True):
        yield


@pytest.fixture
def northwind_key(northwind):
    return api_key_create(client=northwind, name="Mobile app")


@pytest.fixture
def api(northwind_key) -> APIClient:
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {northwind_key[1]}")
    return http


PREFS = {"marketing_email": True, "auto_renew": False}


def api_request(http: APIClient, customer, *, category="preferences", changes=None, channel="app"):
    response = http.post(
        "/api/v1/change-requests/",
        {
            "customer": customer.number,
            "category": category,
            "channel": channel,
            "changes": PREFS if changes is None else changes,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 201, response.content
    return Ticket.objects.get(reference=response.json()["reference"])


def signing_key(client) -> None:
    """The client app's key "k1" the passes name, registered once (a revoked or unknown
    signing key holds the request: automation.rules.key_problem)."""
    if not AppKey.objects.filter(client=client, issuer=ISSUER, kid="k1").exists():
        app_key_register(
            client=client,
            issuer=ISSUER,
            kid="k1",
            algorithm="ES256",
            public_key=public_pem(private_key("ES256")),
            by=None,
        )


def evidence(ticket, *, level: int = 2, staff=None, at=None, jti: str | None = None) -> Attempt:
    """A pass as a client app's assertion records one (no agent: staff None)."""
    signing_key(ticket.client)
    return Attempt.objects.create(
        ticket=ticket,
        customer=ticket.customer,
        method=STP_METHOD,
        purpose=Purpose.IDENTITY,
        result=Result.PASSED,
        staff=staff,
        at=at or timezone.now(),
        detail={
            "level": level,
            "jti": jti or uuid.uuid4().hex,
            "iss": ISSUER,
            "kid": "k1",
            "amr": ["hwk"],
            "auth_time": (at or timezone.now()).isoformat(),
        },
    )


def switch_on(client, category="preferences"):
    return switch_set(client=client, category=category, enabled=True, by=None)
