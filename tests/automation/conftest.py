"""Straight-through processing's fixtures: a Northwind API key, a request sent with it,
evidence recorded without an agent, and the switch.

The evidence is an `Attempt` of a method registered here for the test (`STP_METHOD`:
a pass recorded by no agent that reaches the level in its detail, as a client app's
assertion does — the assertion and provider apps are built in parallel). The registry's
contract (verification/methods) says a pass's level is the method's `Grant`; until
verification.status reads the registry, `_level` is taught the registered methods here
(the one shim; the decision itself — verification_missing, verification_complete,
apply — runs unmocked). Once the status reads the registry, the shim is not installed.
"""

import datetime as dt
import inspect
import uuid

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from profiledesk.api.keys import api_key_create
from profiledesk.automation.services import switch_set
from profiledesk.tickets.models import Ticket
from verification import methods as registry
from verification import status
from verification.models import Attempt, Purpose, Result

STP_METHOD = "stptest"


@pytest.fixture(autouse=True)
def office_hours():
    """A Wednesday at 11:00 in London, the clock running: within Northwind's business
    hours, so that no test's risk depends on when it runs."""
    with time_machine.travel(dt.datetime(2026, 12, 2, 11, 0, tzinfo=dt.UTC), tick=True):
        yield


class AssertionLike(registry.VerificationMethod):
    code = STP_METHOD
    label = "Test app assertion"
    proves = "the customer signed in to the client's app (test double)"
    order = 900

    def grant(self, attempt):
        return registry.Grant(level=int((attempt.detail or {}).get("level", 0)))

    def evidence(self, attempt):
        return f"Test app assertion {attempt.detail.get('jti', '')[:8]}"


def _status_reads_registry() -> bool:
    source = inspect.getsource(status)
    return "level_of" in source or ("methods" in source and "grant(" in source)


@pytest.fixture(autouse=True)
def stp_method(monkeypatch):
    registry.register(AssertionLike)
    if not _status_reads_registry():
        real = status._level
        levels: dict[str, int] = {}

        def level(passed) -> int:
            # Registered methods reach their level on their own (Grant.level).
            own = [levels.get(code, 0) for code in passed]
            return max([real(passed), *own])

        monkeypatch.setattr(status, "_level", level)
        monkeypatch.setattr(status, "_STP_LEVELS", levels, raising=False)
    yield
    registry.unregister(STP_METHOD)


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


def evidence(ticket, *, level: int = 2, staff=None, at=None, jti: str | None = None) -> Attempt:
    """A pass as a client app's assertion records one (no agent: staff None)."""
    if not _status_reads_registry():
        status._STP_LEVELS[STP_METHOD] = level  # type: ignore[attr-defined]
    return Attempt.objects.create(
        ticket=ticket,
        customer=ticket.customer,
        method=STP_METHOD,
        purpose=Purpose.IDENTITY,
        result=Result.PASSED,
        staff=staff,
        at=at or timezone.now(),
        detail={"level": level, "jti": jti or uuid.uuid4().hex, "auth": "passkey"},
    )


def switch_on(client, category="preferences"):
    return switch_set(client=client, category=category, enabled=True, by=None)
