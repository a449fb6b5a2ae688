"""POST /idv/stripe/webhook/<client>/: the provider's signed decision. Abuse first: a forged
or stale signature, a replay, another client's session, a ticket no longer being verified,
hostile metadata — each a clear 400 (or a 200 that changes nothing), audited without a
secret, never a 500, never an Attempt."""

import json

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from profiledesk.idv.models import IdentitySession, SessionStatus, WebhookEvent
from profiledesk.tickets.models import State, Ticket
from profiledesk.tickets.states import transition
from tests.factories import claimed, complete_customer
from tests.verification.helpers import open_ticket
from verification.models import Attempt
from verification.signals import evidence_recorded

from .conftest import account_for, started
from .provider import WEBHOOK_SECRET, sign

VERIFIED = "identity.verification_session.verified"
REQUIRES_INPUT = "identity.verification_session.requires_input"
CANCELED = "identity.verification_session.canceled"


@pytest.fixture
def session(ticket, agent, account, stripe, django_capture_on_commit_callbacks, queued):
    return started(ticket, agent, django_capture_on_commit_callbacks, queued)


def post(http, event, *, slug="northwind", secret=WEBHOOK_SECRET, signature=None, timestamp=None):
    payload = json.dumps(event).encode() if not isinstance(event, bytes) else event
    header = (
        signature if signature is not None else sign(payload, secret=secret, timestamp=timestamp)
    )
    extra = {"HTTP_STRIPE_SIGNATURE": header} if header else {}
    return http.post(
        reverse("idv:stripe_webhook", args=[slug]),
        data=payload,
        content_type="application/json",
        **extra,
    )


def refusals():
    return list(
        AuditEvent.objects.filter(action="idv.webhook_refused")
        .order_by("id")
        .values_list("data", flat=True)
    )


def no_evidence():
    return not Attempt.objects.filter(method="provider").exists()


# --- abuse ---------------------------------------------------------------------------


def test_a_forged_signature_is_a_400_audited_and_records_nothing(client, session, stripe):
    response = post(client, stripe.event(session.provider_id, VERIFIED), secret="whsec_forged")
    assert response.status_code == 400
    assert "signature" in response.json()["detail"]
    assert no_evidence() and not WebhookEvent.objects.exists()
    [data] = refusals()
    assert data["reason"] == "mismatch"
    assert WEBHOOK_SECRET not in json.dumps(data)


def test_a_missing_or_garbled_signature_header_is_a_400(client, session, stripe):
    event = stripe.event(session.provider_id, VERIFIED)
    assert post(client, event, signature="").status_code == 400
    assert post(client, event, signature="t=abc,v1=zz").status_code == 400
    assert [d["reason"] for d in refusals()] == ["missing", "malformed"]
    assert no_evidence()


def test_a_stale_timestamp_is_a_400_even_when_properly_signed(client, session, stripe):
    import time

    event = stripe.event(session.provider_id, VERIFIED)
    response = post(client, event, timestamp=int(time.time()) - 301)
    assert response.status_code == 400
    assert [d["reason"] for d in refusals()] == ["stale"]
    assert no_evidence()


def test_a_replayed_event_is_a_200_that_records_no_second_attempt(client, session, stripe):
    event = stripe.event(session.provider_id, VERIFIED)
    assert post(client, event).status_code == 200
    replay = post(client, event)  # same event id, freshly signed: the provider's retry
    assert replay.status_code == 200
    assert Attempt.objects.filter(method="provider").count() == 1
    assert AuditEvent.objects.filter(action="idv.webhook_replayed").count() == 1
    assert AuditEvent.objects.filter(action="idv.verified").count() == 1


def test_another_clients_session_is_a_400_even_signed_by_that_clients_secret(
    client, session, stripe, solaris
):
    # Solaris has its own account and secret; its endpoint names Northwind's session.
    account_for(solaris, stripe.base_url)
    response = post(client, stripe.event(session.provider_id, VERIFIED), slug="solaris")
    assert response.status_code == 400
    assert [d["reason"] for d in refusals()] == ["other_client"]
    assert AuditEvent.objects.get(action="idv.webhook_refused").client == solaris
    assert no_evidence() and not WebhookEvent.objects.exists()


def test_an_endpoint_without_an_account_is_a_400(client, session, stripe):
    response = post(client, stripe.event(session.provider_id, VERIFIED), slug="nobody")
    assert response.status_code == 400
    assert [d["reason"] for d in refusals()] == ["unknown_endpoint"]


def test_a_session_the_desk_never_started_is_a_400(client, session, stripe):
    event = stripe.event(session.provider_id, VERIFIED)
    event["data"]["object"]["id"] = "vs_madeup"
    assert post(client, event).status_code == 400
    assert [d["reason"] for d in refusals()] == ["unknown_session"]


def test_an_event_whose_status_contradicts_its_type_is_a_400(client, session, stripe):
    event = stripe.event(session.provider_id, VERIFIED, status="requires_input")
    assert post(client, event).status_code == 400
    assert [d["reason"] for d in refusals()] == ["status_mismatch"]
    assert no_evidence()


@pytest.mark.parametrize(
    "metadata",
    [
        {"desk_session": "1 OR 1=1", "ticket": "<script>alert(1)</script>"},
        {"desk_session": "\u202e99", "ticket": "PD-000001\x00"},
        {},
        "not an object",
    ],
)
def test_hostile_metadata_is_compared_never_trusted(client, session, stripe, metadata):
    event = stripe.event(session.provider_id, VERIFIED, metadata=metadata)
    response = post(client, event)
    assert response.status_code == 400
    assert [d["reason"] for d in refusals()] == ["metadata_mismatch"]
    assert no_evidence()
    # Nothing of it is kept: neither the audit event nor any row quotes it.
    assert "script" not in json.dumps(refusals())


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"id": "evt_1"}',
        b'{"id": 5, "type": "x", "data": {}}',
        b"{" * 5000,
    ],
)
def test_a_malformed_event_is_a_400_never_a_500(client, session, body):
    response = post(client, body)
    assert response.status_code == 400
    assert no_evidence()


def test_a_decision_for_a_closed_ticket_is_received_but_is_no_evidence(
    client, session, stripe, ticket, agent
):
    transition(ticket=Ticket.objects.get(pk=ticket.pk), to=State.CANCELLED, by=agent, reason="gone")
    response = post(client, stripe.event(session.provider_id, VERIFIED))
    assert response.status_code == 200
    assert no_evidence()
    ignored = AuditEvent.objects.get(action="idv.decision_ignored")
    assert ignored.data["reason"] == "ticket_closed"


def test_a_pass_after_a_fraud_like_decline_of_the_same_session_is_no_evidence(
    client, session, stripe
):
    declined = stripe.event(
        session.provider_id,
        REQUIRES_INPUT,
        last_error={"code": "selfie_face_mismatch", "reason": "x"},
    )
    assert post(client, declined).status_code == 200
    assert post(client, stripe.event(session.provider_id, VERIFIED)).status_code == 200
    assert not Attempt.objects.filter(method="provider", result="passed").exists()
    assert (
        AuditEvent.objects.get(action="idv.decision_ignored").data["reason"] == "declined_for_fraud"
    )


def test_an_oversized_body_is_refused(client, session):
    response = post(client, b'{"id": "evt_1", "pad": "' + b"x" * 300_000 + b'"}')
    assert response.status_code in (400, 413)
    assert no_evidence()


# --- decisions -------------------------------------------------------------------------


def test_verified_is_an_al3_pass_without_staff_and_tells_straight_through_processing(
    client, session, stripe, ticket, django_capture_on_commit_callbacks
):
    heard = []

    def listener(sender, **kwargs):
        heard.append(kwargs)

    evidence_recorded.connect(listener)
    try:
        event = stripe.event(session.provider_id, VERIFIED)
        with django_capture_on_commit_callbacks(execute=True):
            response = post(client, event)
    finally:
        evidence_recorded.disconnect(listener)
    assert response.status_code == 200
    attempt = Attempt.objects.get(method="provider")
    assert (attempt.result, attempt.staff, attempt.ticket_id) == ("passed", None, ticket.pk)
    assert attempt.detail == {
        "session": session.pk,
        "provider_session": session.provider_id,
        "event": event["id"],
        "decision": "verified",
    }
    assert heard == [
        {
            "signal": evidence_recorded,
            "ticket_id": ticket.pk,
            "attempt_id": attempt.pk,
            "method": "provider",
        }
    ]
    session.refresh_from_db()
    assert session.status == SessionStatus.VERIFIED and session.attempt == attempt
    assert AuditEvent.objects.get(action="idv.verified").data["attempt"] == attempt.pk


def test_a_fraud_like_decline_is_a_failure_and_a_risk_reason_on_the_ticket(
    client, session, stripe, ticket
):
    event = stripe.event(
        session.provider_id,
        REQUIRES_INPUT,
        last_error={"code": "selfie_face_mismatch", "reason": "The selfie does not match."},
    )
    assert post(client, event).status_code == 200
    attempt = Attempt.objects.get(method="provider")
    assert attempt.result == "failed" and attempt.detail["code"] == "selfie_face_mismatch"
    ticket.refresh_from_db()
    [reason] = [r for r in ticket.risk_reasons if r["rule"] == "provider_declined"]
    assert "selfie does not match" in reason["reason"]
    assert ticket.risk_score >= 50
    assert AuditEvent.objects.get(action="idv.declined").data["code"] == "selfie_face_mismatch"


def test_an_ordinary_decline_fails_without_a_fraud_reason_and_an_unknown_code_is_other(
    client, session, stripe, ticket
):
    event = stripe.event(
        session.provider_id, REQUIRES_INPUT, last_error={"code": "document_expired", "reason": "x"}
    )
    assert post(client, event).status_code == 200
    ticket.refresh_from_db()
    assert not [r for r in ticket.risk_reasons if r["rule"] == "provider_declined"]
    # The customer may try the same link again (Stripe's requires_input) and pass.
    assert post(client, stripe.event(session.provider_id, VERIFIED)).status_code == 200
    assert Attempt.objects.filter(method="provider", result="passed").count() == 1


def test_a_canceled_check_is_a_failure_and_a_small_risk_reason(client, session, stripe, ticket):
    assert post(client, stripe.event(session.provider_id, CANCELED)).status_code == 200
    assert Attempt.objects.get(method="provider").result == "failed"
    ticket.refresh_from_db()
    assert [r["rule"] for r in ticket.risk_reasons if r["rule"].startswith("provider")] == [
        "provider_canceled"
    ]


def test_event_types_the_desk_does_not_use_are_acknowledged(client, session, stripe):
    event = stripe.event(session.provider_id, VERIFIED)
    event["type"] = "identity.verification_session.redacted"
    assert post(client, event).status_code == 200
    assert no_evidence()


def test_the_webhook_needs_no_session_or_csrf_but_only_post(client, session):
    response = client.get(reverse("idv:stripe_webhook", args=["northwind"]))
    assert response.status_code == 405


def test_one_clients_decision_never_touches_another_customers_ticket(
    client, stripe, northwind, agent, account, django_capture_on_commit_callbacks, queued
):
    first = claimed(open_ticket(complete_customer(northwind), agent), agent)
    second = claimed(open_ticket(complete_customer(northwind), agent), agent)
    s1 = started(first, agent, django_capture_on_commit_callbacks, queued)
    started(second, agent, django_capture_on_commit_callbacks, queued)
    assert post(client, stripe.event(s1.provider_id, VERIFIED)).status_code == 200
    assert list(Attempt.objects.filter(method="provider").values_list("ticket_id", flat=True)) == [
        first.pk
    ]
    assert IdentitySession.objects.get(ticket=second).status == SessionStatus.SENT


def test_a_pass_while_the_customer_is_locked_out_is_no_evidence(client, session, stripe, ticket):
    import datetime as dt

    from django.utils import timezone

    from verification.models import Lock

    now = timezone.now()
    Lock.objects.create(
        customer=ticket.customer,
        ticket=ticket,
        created_at=now,
        locked_until=now + dt.timedelta(minutes=30),
        reason="3 failed attempts",
    )
    assert post(client, stripe.event(session.provider_id, VERIFIED)).status_code == 200
    assert no_evidence()
    assert AuditEvent.objects.get(action="idv.decision_ignored").data["reason"] == "customer_locked"


def test_another_clients_session_answers_exactly_as_an_unknown_one(
    client, session, stripe, solaris
):
    account_for(solaris, stripe.base_url)
    theirs = post(client, stripe.event(session.provider_id, VERIFIED), slug="solaris")
    event = stripe.event(session.provider_id, VERIFIED)
    event["data"]["object"]["id"] = "vs_nobodys"
    unknown = post(client, event, slug="solaris")
    assert (theirs.status_code, theirs.json()) == (unknown.status_code, unknown.json())
