"""Straight-through processing (issue 18): a request from the client's app, verified by
evidence no agent recorded, needing no approval and at low risk, is applied by the desk
itself — and everything else stays in the queue saying why. Abuse cases first."""

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from profiledesk.automation import tasks
from profiledesk.automation.models import AutomationSwitch, StraightThroughTry
from profiledesk.automation.services import straight_through_try, switch_set
from profiledesk.confirmations.models import Confirmation
from profiledesk.policies.defaults import policy_for
from profiledesk.tickets.models import State, Ticket, TicketEvent
from tests.factories import TicketFactory, claimed
from verification.models import Attempt
from verification.signals import evidence_recorded

from .conftest import api_request, evidence, switch_on

pytestmark = pytest.mark.django_db

DONE = (State.APPLIED, State.CLOSED)


def notes(ticket) -> list[str]:
    return list(
        TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.NOTE).values_list(
            "message", flat=True
        )
    )


def held(ticket, attempt, expected: str) -> None:
    """Tried, left where it was (new) in the queue, the profile untouched, and a note
    on the timeline saying what was seen and why it stopped."""
    before = ticket.customer.preferences.marketing_email
    outcome = straight_through_try(ticket_id=ticket.pk, attempt_id=attempt.pk)
    assert outcome is not None and not outcome.applied
    assert expected in outcome.reason
    ticket.refresh_from_db()
    assert ticket.state == State.NEW
    ticket.customer.preferences.refresh_from_db()
    assert ticket.customer.preferences.marketing_email == before
    assert any(
        note.startswith("Not applied automatically: ") and expected in note
        for note in notes(ticket)
    )
    assert not AuditEvent.objects.filter(action="automation.applied").exists()
    assert not Confirmation.objects.filter(ticket=ticket).exists()


# --- abuse cases ------------------------------------------------------------------------


def test_automation_off_is_the_kill_switch(api, customer):
    ticket = api_request(api, customer)
    held(ticket, evidence(ticket), "automation off for preferences")


def test_switching_it_off_again_stops_it(api, customer, northwind):
    switch_on(northwind)
    switch_set(client=northwind, category="preferences", enabled=False, by=None)
    ticket = api_request(api, customer)
    held(ticket, evidence(ticket), "automation off for preferences")


def test_another_clients_switch_does_not_enable_this_clients(api, customer, solaris):
    switch_on(solaris)
    ticket = api_request(api, customer)
    held(ticket, evidence(ticket), "automation off for preferences")


def test_a_category_switched_on_does_not_enable_another(api, customer, northwind):
    switch_on(northwind, "contact")
    ticket = api_request(api, customer)
    held(ticket, evidence(ticket), "automation off for preferences")


def test_a_change_the_policy_sends_for_approval_waits(api, customer, northwind):
    switch_on(northwind)
    policy = policy_for(client=northwind, category="preferences")
    policy.approval_tiers = 1
    policy.save()
    ticket = api_request(api, customer)
    held(ticket, evidence(ticket), "approval required by policy")


def test_medium_risk_waits_with_its_reasons(api, customer, northwind):
    switch_on(northwind)
    customer.is_flagged, customer.flag_reason = True, "chargeback"
    customer.save()
    ticket = api_request(api, customer)
    held(ticket, evidence(ticket), "risk medium (40 points: The customer is flagged: chargeback)")


def test_a_low_score_with_a_finding_still_waits(api, customer, northwind):
    # One failed verification of the customer this month: 15 points, low, but found.
    switch_on(northwind)
    earlier = TicketFactory(customer=customer, category="preferences", data=_prefs_form())
    TicketEvent.objects.create(
        ticket=earlier,
        at=timezone.now(),
        kind=TicketEvent.Kind.TRANSITION,
        from_state=State.VERIFYING,
        to_state=State.VERIFICATION_FAILED,
    )
    ticket = api_request(api, customer)
    held(ticket, evidence(ticket), "risk low (15 points: 1 failed identity verification")


def test_a_frozen_profile_is_not_changed(api, customer, northwind):
    switch_on(northwind)
    ticket = api_request(api, customer)
    customer.frozen_at, customer.frozen_reason = timezone.now(), "this wasn't me"
    customer.save()
    held(ticket, evidence(ticket), "profile is frozen")


def test_cooling_off_after_a_contact_change_holds_a_security_change(api, customer, northwind):
    # Security is never automated (rules.NEVER_AUTOMATED): a switch row written around
    # the service does not change that, nor does AL3 from the app in a cooling-off.
    AutomationSwitch.objects.create(client=northwind, category="security", enabled=True)
    contact = TicketFactory(customer=customer, category="contact")
    contact.state = State.APPLIED
    contact.save()
    TicketEvent.objects.create(
        ticket=contact,
        at=timezone.now() - dt.timedelta(hours=2),
        kind=TicketEvent.Kind.TRANSITION,
        from_state=State.READY,
        to_state=State.APPLIED,
    )
    ticket = api_request(api, customer, category="security", changes={"password_reset": True})
    for level in (2, 3):
        attempt = evidence(ticket, level=level)
        outcome = straight_through_try(ticket_id=ticket.pk, attempt_id=attempt.pk)
        assert outcome is not None and not outcome.applied
        assert "security changes always need a person" in outcome.reason
    ticket.refresh_from_db()
    assert ticket.state == State.NEW


def test_evidence_recorded_by_an_agent_is_not_the_trigger(api, customer, northwind, agent):
    switch_on(northwind)
    ticket = api_request(api, customer)
    held(ticket, evidence(ticket, staff=agent), "an agent took part")


def test_a_ticket_an_agent_is_working_is_left_to_them(api, customer, northwind, agent):
    switch_on(northwind)
    ticket = claimed(api_request(api, customer), agent)
    held(ticket, evidence(ticket), "an agent is working it")


def test_a_level_below_the_policys_is_not_enough(api, customer, northwind):
    switch_on(northwind, "personal")
    ticket = api_request(
        api, customer, category="personal", changes={"preferred_name": "Amazing Grace"}
    )
    held(ticket, evidence(ticket, level=1), "has not reached AL2")


def test_expired_evidence_is_no_evidence(api, customer, northwind):
    switch_on(northwind)
    ticket = api_request(api, customer)
    old = evidence(ticket, at=timezone.now() - dt.timedelta(minutes=31))
    held(ticket, old, "no valid identity evidence")


def test_a_request_not_sent_with_an_api_key_waits(customer, northwind, agent):
    # The desk can type "app" as the channel; only a request the client's key sent counts.
    switch_on(northwind)
    ticket = TicketFactory(
        customer=customer, category="preferences", channel="app", data=_prefs_form()
    )
    held(ticket, evidence(ticket), "not sent by the client's app or API")


def test_a_second_signal_for_the_same_pass_does_nothing(api, customer, northwind):
    switch_on(northwind)
    ticket = api_request(api, customer)
    attempt = evidence(ticket)
    assert straight_through_try(ticket_id=ticket.pk, attempt_id=attempt.pk).applied
    assert straight_through_try(ticket_id=ticket.pk, attempt_id=attempt.pk) is None
    # A second pass later: the ticket is no longer waiting.
    assert straight_through_try(ticket_id=ticket.pk, attempt_id=evidence(ticket).pk) is None
    assert AuditEvent.objects.filter(action="ticket.applied").count() == 1
    assert StraightThroughTry.objects.filter(ticket=ticket).count() == 1


def test_a_held_pass_is_noted_once_however_often_its_signal_comes(api, customer):
    ticket = api_request(api, customer)
    attempt = evidence(ticket)
    straight_through_try(ticket_id=ticket.pk, attempt_id=attempt.pk)
    assert straight_through_try(ticket_id=ticket.pk, attempt_id=attempt.pk) is None
    assert len(notes(ticket)) == 1


def test_an_unknown_ticket_is_nothing_to_do(db):
    assert straight_through_try(ticket_id=987654, attempt_id=None) is None


# --- the straight-through path --------------------------------------------------------


def test_a_request_from_the_app_verified_by_its_assertion_is_applied_without_an_agent(
    api, customer, northwind
):
    switch_on(northwind)
    ticket = api_request(api, customer)
    attempt = evidence(ticket, jti="1f3a9c2e77aa4b0c")
    outcome = straight_through_try(ticket_id=ticket.pk, attempt_id=attempt.pk)
    assert outcome is not None and outcome.applied
    ticket.refresh_from_db()
    assert ticket.state in DONE
    # The normal flow, each move made by the desk itself (no staff member).
    moves = list(
        TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.TRANSITION).values_list(
            "from_state", "to_state", "actor"
        )
    )
    assert moves[:3] == [
        (State.NEW, State.VERIFYING, None),
        (State.VERIFYING, State.READY, None),
        (State.READY, State.APPLIED, None),
    ]
    preferences = customer.preferences
    preferences.refresh_from_db()
    assert preferences.marketing_email is True
    latest = preferences.history.latest()
    assert latest.history_user is None
    assert latest.history_change_reason == (
        f"automatic (API key Mobile app, assertion 1f3a9c2e77aa): {ticket.reference} applied"
    )
    # Propagation and confirmations are apply's, as for a person's apply.
    assert Confirmation.objects.filter(ticket=ticket).exists()
    assert any(
        note.startswith("Applied automatically: sent with API key Mobile app")
        for note in notes(ticket)
    )
    audit = AuditEvent.objects.get(action="automation.applied")
    assert audit.actor is None and audit.target_id == str(ticket.pk)
    assert audit.data["evidence"][0]["attempt"] == attempt.pk
    assert AuditEvent.objects.filter(action="ticket.applied", target_id=str(ticket.pk)).exists()


def test_a_ticket_already_verifying_is_carried_on(api, customer, northwind):
    switch_on(northwind)
    ticket = api_request(api, customer)
    ticket.state = State.VERIFYING
    ticket.save()
    assert straight_through_try(ticket_id=ticket.pk, attempt_id=evidence(ticket).pk).applied


def test_the_signal_is_the_single_entry(api, customer, northwind, monkeypatch):
    # The task runs here as the worker would run it (ids only).
    monkeypatch.setattr(
        tasks.straight_through,
        "apply_async",
        lambda args, **kwargs: tasks.straight_through(*args),
    )
    switch_on(northwind)
    ticket = api_request(api, customer)
    attempt = evidence(ticket)
    evidence_recorded.send_robust(
        sender=Attempt, ticket_id=ticket.pk, attempt_id=attempt.pk, method=attempt.method
    )
    ticket.refresh_from_db()
    assert ticket.state in DONE


def test_the_task_reports_what_it_did(api, customer, northwind):
    ticket = api_request(api, customer)
    attempt = evidence(ticket)
    assert tasks.straight_through(ticket.pk, attempt.pk) == "held"
    assert tasks.straight_through(ticket.pk, attempt.pk) == "skipped"


def _prefs_form() -> dict:
    return {
        "marketing_email": "True",
        "email_notifications": "True",
        "sms_notifications": "True",
        "marketing_sms": "False",
        "confirm_by_email": "True",
        "confirm_by_sms": "False",
        "confirm_in_app": "False",
        "auto_renew": "False",
    }


@pytest.mark.parametrize("state", [State.READY, State.ESCALATED, State.CANCELLED])
def test_a_ticket_past_new_or_verifying_is_not_touched(api, customer, northwind, state):
    switch_on(northwind)
    ticket = api_request(api, customer)
    ticket.state = state
    ticket.save()
    assert straight_through_try(ticket_id=ticket.pk, attempt_id=evidence(ticket).pk) is None
    assert Ticket.objects.get(pk=ticket.pk).state == state


def test_a_lost_signal_is_picked_up_by_the_sweep_once(api, customer, northwind, agent, monkeypatch):
    queued: list[tuple] = []
    monkeypatch.setattr(
        tasks.straight_through, "apply_async", lambda args, **kwargs: queued.append(args)
    )
    switch_on(northwind)
    ticket = api_request(api, customer)
    attempt = evidence(ticket, at=timezone.now() - dt.timedelta(minutes=2))
    other = api_request(api, customer)
    evidence(other, at=timezone.now() - dt.timedelta(minutes=2))
    # Not swept: an agent's pass, a pass of a client with automation off, a fresh pass
    # (its signal is on its way).
    evidence(api_request(api, customer), staff=agent, at=timezone.now() - dt.timedelta(minutes=2))
    evidence(api_request(api, customer))
    assert tasks.sweep() == 2
    assert (ticket.pk, attempt.pk) in queued
    # Once tried, never queued again.
    straight_through_try(ticket_id=ticket.pk, attempt_id=attempt.pk)
    queued.clear()
    assert tasks.sweep() == 1 and (ticket.pk, attempt.pk) not in queued


def test_a_step_that_refuses_leaves_nothing_half_done(api, customer, northwind, monkeypatch):
    # Apply's own rule refusing under its lock (e.g. the file store is down): the moves
    # made before it are undone with it; the ticket waits, new, saying why.
    from profiledesk.apply import services as apply_services

    monkeypatch.setattr(apply_services, "apply_problem", lambda ticket: "The store is down.")
    switch_on(northwind)
    ticket = api_request(api, customer)
    held(ticket, evidence(ticket), "The store is down.")
    assert not TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.TRANSITION).exists()


def test_a_request_for_no_known_customer_waits(api, northwind):
    switch_on(northwind)
    response = api.post(
        "/api/v1/change-requests/",
        {"category": "preferences", "channel": "app", "changes": {"marketing_email": True}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="no-customer-1",
    )
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    outcome = straight_through_try(ticket_id=ticket.pk)
    assert outcome is not None and not outcome.applied
    assert outcome.reason == "not matched to a customer"
