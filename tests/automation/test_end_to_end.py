"""A client app's real signed assertion, through the API, applied by nobody: the whole
straight-through path (issue 18) — the API verifies the JWT, records the pass, announces
it on commit, the task (run here as the worker runs it, ids only) applies the change."""

import uuid

import pytest

from profiledesk.automation import tasks
from profiledesk.tickets.models import State, Ticket
from tests.assertions.keys import AppSigner

from .conftest import PREFS, switch_on


@pytest.fixture
def worker(monkeypatch):
    monkeypatch.setattr(
        tasks.straight_through, "apply_async", lambda args, **kwargs: tasks.straight_through(*args)
    )


def _send(api, customer, token, *, category="preferences", changes=None):
    return api.post(
        "/api/v1/change-requests/",
        {
            "customer": customer.number,
            "category": category,
            "channel": "app",
            "changes": PREFS if changes is None else changes,
            "assertion": token,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )


def test_a_signed_app_request_is_applied_without_an_agent(
    api, customer, northwind, worker, django_capture_on_commit_callbacks
):
    switch_on(northwind)
    app = AppSigner(northwind)
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(api, customer, app.token(customer, amr=["pwd", "otp"]))
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    assert ticket.state in {State.APPLIED, State.CLOSED}
    customer.preferences.refresh_from_db()
    assert customer.preferences.marketing_email is True
    reason = customer.preferences.history.latest().history_change_reason
    assert reason.startswith("automatic (API key Mobile app, assertion ")


def test_a_signed_app_request_with_automation_off_waits_for_an_agent(
    api, customer, northwind, worker, django_capture_on_commit_callbacks
):
    app = AppSigner(northwind)  # the kill switch is off by default
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(api, customer, app.token(customer))
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    assert ticket.state == State.VERIFYING  # verified evidence recorded, nobody applied
    customer.preferences.refresh_from_db()
    assert customer.preferences.marketing_email is not True
    note = ticket.events.order_by("-id").values_list("message", flat=True).first() or ""
    assert "Not applied automatically" in note
