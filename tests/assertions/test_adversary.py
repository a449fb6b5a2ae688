"""An adversarial pass over app assertions (issue 18): what a stolen signing key, a
tampered policy row or hostile claim values can and cannot do."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from profiledesk.assertions.method import AppAssertion
from profiledesk.assertions.models import LevelPolicy, UsedAssertion
from profiledesk.assertions.services import AssertionRefused, assertion_verify
from profiledesk.tickets.models import Ticket
from tests.api.conftest import email_change, submit
from tests.assertions.keys import AppSigner, claims_for, sign
from tests.conftest import signed_in
from tests.factories import TicketFactory, claimed
from verification.models import Attempt, Purpose, Result

pytestmark = pytest.mark.django_db


# --- an app sign-in never reaches AL3, whatever the stored mapping says ----------------


def test_a_policy_row_saying_al3_written_around_the_form_gives_at_most_al2(
    northwind, customer, app
):
    LevelPolicy.objects.create(
        client=northwind, levels={"pwd": 3, "otp": 9}, updated_at=timezone.now()
    )
    verified = assertion_verify(
        client=northwind, token=app.token(customer, amr=["pwd"]), customer_number=customer.number
    )
    assert verified.level == 2


def test_a_pass_whose_detail_says_al3_grants_at_most_al2(northwind, customer):
    ticket = TicketFactory(customer=customer)
    attempt = Attempt.objects.create(
        ticket=ticket,
        customer=customer,
        method="assertion",
        purpose=Purpose.IDENTITY,
        result=Result.PASSED,
        at=timezone.now(),
        detail={"level": 3, "amr": ["pwd"], "jti": "x", "kid": "k1"},
    )
    assert AppAssertion().grant(attempt).level == 2


# --- hostile amr values never reach the database, the timeline or the history ---------


@pytest.mark.parametrize(
    "amr",
    [["pwd\x00"], ["pw\nd"], ["\u202epwd"], ["<script>"], ["pwd otp"], ["p" * 33]],
)
def test_a_hostile_amr_value_is_refused_with_a_reason(northwind, customer, app, amr):
    token = sign(claims_for(customer, iss=app.issuer, amr=amr), app.key)
    with pytest.raises(AssertionRefused) as caught:
        assertion_verify(client=northwind, token=token, customer_number=customer.number)
    assert caught.value.reason == "invalid_claim"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.text(min_size=1, max_size=32))
def test_an_amr_value_is_a_plain_token_or_refused(northwind, customer, app, value):
    token = sign(claims_for(customer, iss=app.issuer, amr=["pwd", value]), app.key)
    try:
        verified = assertion_verify(client=northwind, token=token, customer_number=customer.number)
    except AssertionRefused as refusal:
        assert refusal.reason in {"invalid_claim", "no_assurance"}
        return
    assert all(m.isascii() and m.replace("_", "").replace("-", "").isalnum() for m in verified.amr)


# --- the Idempotency-Key retry path -----------------------------------------------------


def test_a_retry_after_the_assertion_expired_replays_and_adds_no_evidence(api, customer, app):
    body = email_change(customer, assertion=app.token(customer))
    assert submit(api, body, key="late-retry").status_code == 201
    with time_machine.travel(dt.timedelta(hours=1)):
        again = submit(api, body, key="late-retry")
    assert again.status_code == 200  # the first request's answer, not a new verification
    assert Attempt.objects.count() == 1 and UsedAssertion.objects.count() == 1


def test_the_same_idempotency_key_with_a_fresh_assertion_is_a_conflict(api, customer, app):
    assert (
        submit(api, email_change(customer, assertion=app.token(customer)), key="k").status_code
        == 201
    )
    other = submit(api, email_change(customer, assertion=app.token(customer)), key="k")
    assert other.status_code in (409, 422)
    assert Attempt.objects.count() == 1 and Ticket.objects.count() == 1


# --- hostile strings an insider or a client's developer controls ------------------------


def test_hostile_kid_and_jti_are_escaped_and_cut_on_the_ticket_and_audit_pages(
    api, northwind, customer, personas
):
    kid = '<img src=x onerror="alert(1)">'
    app = AppSigner(northwind, kid=kid)
    jti = "<script>alert(2)</script>" + "j" * 80
    response = submit(api, email_change(customer, assertion=app.token(customer, jti=jti)))
    assert response.status_code == 201, response.content
    reference = response.json()["reference"]
    attempt = Attempt.objects.get()
    supervisor = personas["supervisor"]
    claimed(attempt.ticket, supervisor)
    for url in (
        reverse("tickets:detail", args=[reference]),
        reverse("audit:ticket_audit", args=[reference]),
    ):
        page = signed_in(supervisor).get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert "<img src=x" not in html and "<script>alert(2)" not in html
        assert jti not in html  # the full jti is never shown, only its first characters
