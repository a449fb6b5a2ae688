"""An adversarial pass over straight-through processing (issue 18), as a fraudster with a
client's API key, a stolen app signing key, or a desk admin of another client would
attack it. Each test is a hole that was open, or an attack that held."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from audit.history import customer_versions_all
from profiledesk.api.keys import api_key_create, api_key_revoke
from profiledesk.assertions.services import app_key_revoke
from profiledesk.automation.models import AutomationSwitch, StraightThroughTry
from profiledesk.automation.services import straight_through_try, switch_set
from profiledesk.exports.content import versions as export_versions
from profiledesk.tickets.models import State, Ticket
from tests.assertions.keys import AppSigner
from tests.conftest import signed_in
from tests.editing.helpers import edit
from tests.factories import TicketFactory, claimed, complete_customer
from verification.models import Attempt

from .conftest import PREFS, api_request, evidence, switch_on

pytestmark = pytest.mark.django_db

PASSWORD_RESET = {"password_reset": True, "sign_out_everywhere": True}
CARD = {"card_number": "4242424242424242", "card_exp_month": 12, "card_exp_year": 2099}


# --- a machine never applies a credential or payment change -----------------------------


@pytest.mark.parametrize("category", ["security", "billing", "organisation", "linked_accounts"])
def test_automation_cannot_be_switched_on_for_sensitive_categories(northwind, category):
    with pytest.raises(ValidationError):
        switch_set(client=northwind, category=category, enabled=True, by=None)
    assert not AutomationSwitch.objects.filter(client=northwind, enabled=True).exists()


def test_switching_a_sensitive_category_off_is_always_allowed(northwind):
    switch = switch_set(client=northwind, category="security", enabled=False, by=None)
    assert switch.enabled is False


def test_a_password_reset_is_never_applied_automatically_even_if_switched_on_in_the_db(
    api, customer, northwind
):
    # A switch row written around the service (a data migration, a shell, an old row).
    AutomationSwitch.objects.create(client=northwind, category="security", enabled=True)
    ticket = api_request(api, customer, category="security", changes=PASSWORD_RESET)
    outcome = straight_through_try(ticket_id=ticket.pk, attempt_id=evidence(ticket).pk)
    assert outcome is not None and not outcome.applied
    assert "always need a person" in outcome.reason
    ticket.refresh_from_db()
    assert ticket.state == State.NEW


def test_the_admin_form_refuses_switching_security_on(personas, northwind):
    response = signed_in(personas["desk_admin"]).post(
        "/admin/automation/automationswitch/add/",
        {"client": northwind.pk, "category": "security", "enabled": "on"},
    )
    assert response.status_code == 200  # the form again, with the reason
    assert b"always need a person" in response.content
    assert not AutomationSwitch.objects.filter(client=northwind, enabled=True).exists()


# --- the machine does not finish what a person touched ----------------------------------


def test_items_edited_by_an_agent_after_the_evidence_are_not_applied_automatically(
    api, customer, northwind, agent
):
    """The app's assertion vouched for the change the app sent. An agent claims the ticket
    in the moment between the signal and the task, edits the change, and the claim is
    gone when the task runs (a release, a data fix): the edited items were never covered
    by the customer's sign-in, so the machine leaves them to a person."""
    switch_on(northwind)
    ticket = api_request(api, customer)
    attempt = evidence(ticket)
    # Boxes left out of the form are unticked, as in the browser: marketing SMS added.
    edited = {"marketing_email": "True", "marketing_sms": "True", "email_notifications": "True"}
    edit(
        claimed(ticket, agent),
        agent,
        {**edited, "sms_notifications": "True", "confirm_by_email": "True"},
    )
    ticket.refresh_from_db()
    ticket.assignee = None
    ticket._change_reason = "released"
    ticket.save(update_fields=["assignee"])
    outcome = straight_through_try(ticket_id=ticket.pk, attempt_id=attempt.pk)
    assert outcome is not None and not outcome.applied
    assert "a person has worked on it" in outcome.reason
    customer.preferences.refresh_from_db()
    assert customer.preferences.marketing_sms is False


# --- a key revoked between the request and the task -------------------------------------


def test_an_api_key_revoked_before_the_task_stops_the_automatic_apply(
    api, customer, northwind, northwind_key
):
    switch_on(northwind)
    ticket = api_request(api, customer)
    attempt = evidence(ticket)
    api_key_revoke(api_key=northwind_key[0])
    outcome = straight_through_try(ticket_id=ticket.pk, attempt_id=attempt.pk)
    assert outcome is not None and not outcome.applied
    assert "the API key it was sent with was revoked" in outcome.reason


def test_an_app_key_revoked_before_the_task_stops_the_automatic_apply(
    api, customer, northwind, django_capture_on_commit_callbacks
):
    """A client finds its signing key leaked and revokes it: assertions it signed that
    are still waiting for the worker apply nothing."""
    switch_on(northwind)
    app = AppSigner(northwind)
    response = api.post(
        "/api/v1/change-requests/",
        {
            "customer": customer.number,
            "category": "preferences",
            "channel": "app",
            "changes": PREFS,
            "assertion": app.token(customer),
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    attempt = Attempt.objects.get(ticket=ticket, method="assertion")
    app_key_revoke(key=app.registered, by=None)
    outcome = straight_through_try(ticket_id=ticket.pk, attempt_id=attempt.pk)
    assert outcome is not None and not outcome.applied
    assert "signing key" in outcome.reason and "revoked" in outcome.reason
    customer.preferences.refresh_from_db()
    assert customer.preferences.marketing_email is not True


# --- the takeover sequence of issue 11, through the API --------------------------------


def test_a_new_email_from_the_app_is_not_applied_without_its_own_code(api, customer, northwind):
    """Step 1 of the takeover: the attacker's app session sends a new e-mail. The app's
    sign-in proves who the customer is, not that the new address is theirs."""
    switch_on(northwind, "contact")
    ticket = api_request(
        api, customer, category="contact", changes={"email": "mallory@example.com"}
    )
    outcome = straight_through_try(ticket_id=ticket.pk, attempt_id=evidence(ticket).pk)
    assert outcome is not None and not outcome.applied
    ticket.refresh_from_db()
    assert ticket.state in (State.NEW, State.VERIFYING)
    assert not customer.emails.filter(email="mallory@example.com").exists()


# --- what an auditor reads: the machine, named; its ticket, linked ----------------------


HOSTILE_KEY_NAMES = [
    "x): PD-000001 applied, automatic (API key y",  # forging another ticket's reference
    "Mobile\u202eppa elibom",  # a bidi override
    "line\nbreak\x1b[31mred",  # (a NUL cannot be stored on PostgreSQL at all)
    "<img src=x onerror=alert(1)>",
]


@pytest.mark.parametrize("name", HOSTILE_KEY_NAMES)
def test_a_hostile_key_name_cannot_forge_the_history_or_hide_the_machine(
    customer, northwind, personas, name
):
    _key, raw = api_key_create(client=northwind, name=name)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    switch_on(northwind)
    ticket = api_request(http, customer)
    outcome = straight_through_try(ticket_id=ticket.pk, attempt_id=evidence(ticket).pk)
    assert outcome is not None and outcome.applied
    reason = customer.preferences.history.latest().history_change_reason
    assert reason.isprintable() and reason.endswith(f"): {ticket.reference} applied")
    # The history page links the change to its own ticket, and says nobody at the desk
    # applied it.
    version = next(v for v in customer_versions_all(customer=customer, revealed=False)
                   if v.reason == reason)  # fmt: skip
    assert version.reference == ticket.reference
    page = signed_in(personas["supervisor"]).get(
        reverse("audit:customer_history", args=[customer.pk])
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "the desk itself (automatic, no staff member)" in html
    assert "no agent: recorded by the desk" in html  # the app sign-in that verified it
    assert "<img src=x" not in html and "\u202e" not in html


def test_the_history_export_names_the_machine_for_an_automatic_apply(api, customer, northwind):
    switch_on(northwind)
    ticket = api_request(api, customer)
    assert straight_through_try(ticket_id=ticket.pk, attempt_id=evidence(ticket).pk).applied
    rows = [r for r in export_versions(customer, revealed=False) if ticket.reference in r["reason"]]
    assert rows and all(r["staff"] == "automatic" for r in rows)
    # The data subject's own copy says it was automatic too, with no desk text.
    mine = list(export_versions(customer, revealed=False, for_subject=True))
    assert "automatic" in {r["staff"] for r in mine}


# --- a signal naming a pass of another ticket --------------------------------------------


def test_a_signal_pairing_a_ticket_with_another_tickets_pass_does_nothing(
    api, customer, northwind, solaris
):
    """The signal carries ids only. A pass of one ticket named with another ticket (of
    another client, here) neither applies that ticket nor uses up the pass's one try."""
    switch_on(northwind)
    ours = api_request(api, customer)
    theirs = TicketFactory(customer=complete_customer(solaris))
    stray = evidence(theirs)
    assert straight_through_try(ticket_id=ours.pk, attempt_id=stray.pk) is None
    assert not StraightThroughTry.objects.filter(attempt=stray).exists()
    ours.refresh_from_db()
    assert ours.state == State.NEW
    # Its own pass is still tried, once.
    outcome = straight_through_try(ticket_id=ours.pk, attempt_id=evidence(ours).pk)
    assert outcome is not None and outcome.applied


# --- silencing the customer is not a standard update ------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"confirm_by_email": False, "confirm_in_app": True},
        {"confirm_by_sms": False, "confirm_by_email": False, "confirm_in_app": True},
    ],
)
def test_moving_where_the_customer_hears_of_changes_is_not_automated(
    api, customer, northwind, changes
):
    """A stolen app session first turns the e-mail confirmations off (so the real customer
    hears of nothing), then works the desk. Where changes are confirmed is a person's
    decision, even in a category switched on."""
    switch_on(northwind)
    ticket = api_request(api, customer, changes=changes)
    outcome = straight_through_try(ticket_id=ticket.pk, attempt_id=evidence(ticket).pk)
    assert outcome is not None and not outcome.applied
    assert "where the customer is told of changes" in outcome.reason
    customer.preferences.refresh_from_db()
    assert customer.preferences.confirm_by_email is True
