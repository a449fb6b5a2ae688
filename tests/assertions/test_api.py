"""POST /api/v1/change-requests/ with an app assertion: accepted, it is the customer's
verification evidence; refused, nothing is opened and the refusal is audited."""

import importlib.util
import threading
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.conf import settings as django_settings
from django.db import connection

from audit.models import AuditEvent
from profiledesk.api.models import IdempotencyRecord
from profiledesk.assertions.models import UsedAssertion
from profiledesk.assertions.services import app_key_register
from profiledesk.tickets.models import State, Ticket
from tests.api.conftest import bearer, email_change, submit
from tests.assertions.keys import AppSigner, claims_for, private_key, public_pem, sign
from tests.factories import complete_customer
from verification.methods import level_of, method
from verification.models import Attempt
from verification.signals import evidence_recorded

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    calls = []

    def listener(sender, **kwargs):
        calls.append(kwargs)

    evidence_recorded.connect(listener, dispatch_uid="test-heard")
    yield calls
    evidence_recorded.disconnect(dispatch_uid="test-heard")


def test_an_accepted_assertion_is_evidence_at_the_mapped_level(
    api, customer, app, heard, django_capture_on_commit_callbacks
):
    signed_in_at = int(time.time()) - 60
    token = app.token(customer, amr=["pwd", "otp"], auth_time=signed_in_at)
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(api, email_change(customer, assertion=token))
    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    assert ticket.state == State.VERIFYING == response.json()["state"]
    attempt = Attempt.objects.get(ticket=ticket)
    assert (attempt.method, attempt.result, attempt.staff, attempt.customer) == (
        "assertion",
        "passed",
        None,
        customer,
    )
    assert attempt.detail["level"] == 2 and attempt.detail["kid"] == "k1"
    assert attempt.detail["amr"] == ["otp", "pwd"]
    # Valid on the ticket from the sign-in it vouches for, not from the request.
    assert attempt.at.timestamp() == signed_in_at
    # The evidence never holds the token, nor its signature.
    signature = token.split(".")[2]
    assert token not in str(attempt.detail) and signature not in str(attempt.detail)
    grant = method("assertion").grant(attempt)
    assert level_of([grant]) == 2 and grant.factors == frozenset()
    line = method("assertion").evidence(attempt)
    assert line.startswith("app sign-in (otp+pwd at ") and "key k1" in line
    assert attempt.detail["jti"] not in line and attempt.detail["jti"][:8] in line
    assert heard == [{"signal": evidence_recorded, "ticket_id": ticket.pk,
                      "attempt_id": attempt.pk, "method": "assertion"}]  # fmt: skip
    event = AuditEvent.objects.get(action="verification.assertion_passed")
    assert event.target_id == str(ticket.pk) and token not in str(event.data)
    # The desk moved it, not a staff member.
    move = ticket.events.get(to_state=State.VERIFYING)
    assert move.actor is None


def test_evidence_is_announced_only_once_committed(
    api, customer, app, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        submit(api, email_change(customer, assertion=app.token(customer)))
    assert heard == []  # not before the commit
    for callback in callbacks:
        callback()
    assert [call["method"] for call in heard] == ["assertion"]


def _refused(api, customer, token, *, status: int, reason: str):
    response = submit(api, email_change(customer, assertion=token))
    assert response.status_code == status, response.json()
    body = response.json()
    assert body["reason"] == reason
    assert token not in str(body)
    assert not Ticket.objects.exists()
    assert not IdempotencyRecord.objects.exists()
    assert not Attempt.objects.exists()
    event = AuditEvent.objects.filter(action="verification.assertion_refused").last()
    assert event is not None and event.data["reason"] == reason
    assert token not in str(event.data)
    return body


def test_a_forged_assertion_is_401_and_opens_nothing(api, customer, app):
    forged = sign(claims_for(customer), private_key("ES256"), kid="k1")
    body = _refused(api, customer, forged, status=401, reason="bad_signature")
    assert body["detail"]
    event = AuditEvent.objects.get(action="verification.assertion_refused")
    assert (event.data["alg"], event.data["kid"], event.client.slug) == ("ES256", "k1", "northwind")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": int(time.time()) - 100, "iat": int(time.time()) - 200}, "expired"),
        ({"exp": int(time.time()) + 7200}, "too_long_lived"),
        ({"aud": "https://elsewhere.example"}, "wrong_audience"),
        ({"jti": ...}, "missing_claim"),
        ({"amr": ["face"]}, "no_assurance"),
    ],
)
def test_a_bad_assertion_is_400_with_its_reason_and_opens_nothing(
    api, customer, app, overrides, reason
):
    body = _refused(api, customer, app.token(customer, **overrides), status=400, reason=reason)
    assert body["assertion"]


def test_an_assertion_about_another_customer_opens_nothing(api, northwind, customer, app):
    other = complete_customer(northwind)
    _refused(api, customer, app.token(other), status=400, reason="other_customer")


def test_an_assertion_needs_the_requests_customer(api, customer, app):
    body = {"category": "preferences", "changes": {"marketing_email": False}}
    response = submit(api, {**body, "assertion": app.token(customer)})
    assert (response.status_code, response.json()["reason"]) == (400, "no_customer")
    assert not Ticket.objects.exists()


def test_another_clients_key_is_401(api, solaris, customer):
    _refused(api, customer, AppSigner(solaris).token(customer), status=401, reason="unknown_key")


def test_alg_none_is_401(api, customer, app):
    token = sign(claims_for(customer), None, algorithm="none")
    _refused(api, customer, token, status=401, reason="algorithm_refused")


def test_a_retry_with_the_same_idempotency_key_is_the_same_request_not_a_replay(api, customer, app):
    body = email_change(customer, assertion=app.token(customer))
    first = submit(api, body, key="retry-1")
    again = submit(api, body, key="retry-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["reference"] == again.json()["reference"]
    assert Attempt.objects.count() == 1 and UsedAssertion.objects.count() == 1
    assert not AuditEvent.objects.filter(action="verification.assertion_refused").exists()


def test_the_same_assertion_in_a_new_request_is_a_replay(api, customer, app):
    token = app.token(customer)
    assert submit(api, email_change(customer, assertion=token)).status_code == 201
    response = submit(api, email_change(customer, "other@example.com", assertion=token))
    assert (response.status_code, response.json()["reason"]) == (400, "replayed")
    assert Ticket.objects.count() == 1 and Attempt.objects.count() == 1


def test_a_request_that_opens_nothing_gives_the_jti_back(api, customer, app):
    token = app.token(customer)
    # Capture finds nothing to change: the e-mail is the one on file. The request is
    # refused after the assertion was checked; its jti is not spent.
    same = customer.emails.get(is_primary=True).email
    response = submit(api, email_change(customer, same, assertion=token))
    assert response.status_code == 400 and not UsedAssertion.objects.exists()
    assert submit(api, email_change(customer, assertion=token)).status_code == 201


def test_a_locked_customer_is_not_verified_by_an_app(api, customer, app):
    import datetime as dt

    from django.utils import timezone

    from verification.models import Lock

    now = timezone.now()
    Lock.objects.create(
        customer=customer, created_at=now, locked_until=now + dt.timedelta(hours=1), reason="x"
    )
    _refused(api, customer, app.token(customer), status=400, reason="customer_locked")


def test_a_request_without_an_assertion_is_unchanged(api, customer):
    response = submit(api, email_change(customer))
    assert response.status_code == 201 and response.json()["state"] == State.NEW
    assert not Attempt.objects.exists()


@pytest.mark.parametrize("value", [5, ["a"], {"a": 1}, True])
def test_an_assertion_that_is_not_a_string_is_a_shape_error(api, customer, value):
    response = submit(api, email_change(customer, assertion=value))
    assert response.status_code == 400 and "assertion" in response.json()
    assert not Ticket.objects.exists()


def _at_once(raw_key: str, bodies_and_keys) -> list:
    """Send the requests at the same moment, each on its own connection."""
    barrier = threading.Barrier(len(bodies_and_keys))
    responses = []

    def send(body, key):
        try:
            barrier.wait()
            responses.append(submit(bearer(raw_key), body, key=key))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=pair) for pair in bodies_and_keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


@pytest.mark.django_db(transaction=True)
def test_one_assertion_in_two_simultaneous_requests_verifies_only_one(northwind_key, customer):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (tests/with_services.sh)")
    token = AppSigner(customer.client).token(customer)
    responses = _at_once(
        northwind_key[1],
        [
            (email_change(customer, assertion=token), "race-a"),
            (email_change(customer, "other@example.com", assertion=token), "race-b"),
        ],
    )
    assert sorted(r.status_code for r in responses) == [201, 400]
    refused = next(r for r in responses if r.status_code == 400)
    assert refused.json()["reason"] == "replayed"
    assert Ticket.objects.count() == 1 and Attempt.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_retry_racing_the_first_request_is_the_same_request(northwind_key, customer):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (tests/with_services.sh)")
    body = email_change(customer, assertion=AppSigner(customer.client).token(customer))
    responses = _at_once(northwind_key[1], [(body, "same-key"), (body, "same-key")])
    assert sorted(r.status_code for r in responses) == [200, 201]
    assert len({r.json()["reference"] for r in responses}) == 1
    assert Attempt.objects.count() == 1


def test_the_documented_example_signs_an_assertion_the_desk_accepts(api, northwind, customer):
    spec = importlib.util.spec_from_file_location(
        "app_assertion", Path(django_settings.BASE_DIR) / "docs" / "examples" / "app_assertion.py"
    )
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    key = private_key("EdDSA")
    # The desk's side: the public key, registered by the client's admin.
    app_key_register(
        client=northwind,
        issuer="https://app.example.com",
        kid="2026-01",
        algorithm="EdDSA",
        public_key=public_pem(key),
        by=None,
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    token = example.sign_assertion(
        pem,
        issuer="https://app.example.com",
        kid="2026-01",
        audience=django_settings.ASSERTION_AUDIENCE,
        customer_number=customer.number,
        amr=["hwk"],
        auth_time=int(time.time()) - 30,
        algorithm="EdDSA",
    )
    response = submit(api, email_change(customer, assertion=token))
    assert response.status_code == 201, response.json()
    assert Attempt.objects.get().detail["level"] == 2
