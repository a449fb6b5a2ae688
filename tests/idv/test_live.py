"""End to end over real HTTP both ways: the desk asks the local Stripe Identity for a
session, and the provider POSTs its signed decision to the desk's live server."""

import time

import pytest
from django.urls import reverse

from profiledesk.idv.models import IdentitySession, SessionStatus
from profiledesk.messaging.models import Message
from tests.conftest import signed_in
from tests.factories import claimed
from tests.verification.helpers import email_key, open_ticket
from verification.models import Attempt

from .conftest import run_task

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # SQLite in memory only: the live server's request threads close the shared
    # connection after each request (Django's LiveServerThread); PostgreSQL has none.
    pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning"),
]


def test_the_providers_signed_decision_over_http_becomes_al3_evidence(
    live_server, stripe, account, customer, agent, queued
):
    ticket = claimed(open_ticket(customer, agent), agent)
    response = signed_in(agent).post(
        reverse("idv:start", args=[ticket.reference]), {"contact": email_key(customer)}
    )
    assert response.status_code == 302
    assert run_task(queued[0]) == "sent"
    session = IdentitySession.objects.get()
    assert Message.objects.filter(template="identity_check", ticket=ticket).exists()

    hook = live_server.url + reverse("idv:stripe_webhook", args=["northwind"])
    forged = stripe.post_event(
        hook,
        stripe.event(session.provider_id, "identity.verification_session.verified"),
        secret="whsec_forged",
    )
    stale = stripe.post_event(
        hook,
        stripe.event(session.provider_id, "identity.verification_session.verified"),
        timestamp=int(time.time()) - 600,
    )
    assert (forged.status_code, stale.status_code) == (400, 400)
    assert not Attempt.objects.filter(method="provider").exists()

    event = stripe.event(session.provider_id, "identity.verification_session.verified")
    assert stripe.post_event(hook, event).status_code == 200
    assert stripe.post_event(hook, event).status_code == 200  # Stripe's retry: a replay
    attempt = Attempt.objects.get(method="provider")
    assert attempt.result == "passed" and attempt.staff is None
    assert attempt.detail["provider_session"] == session.provider_id
    session.refresh_from_db()
    assert session.status == SessionStatus.VERIFIED
