"""Changes from the portal: self-service applied through the desk's apply (history reason
"self-service", no staff user, confirmations with "this wasn't me"), everything else a
ticket on channel web with the sign-in as evidence; another customer's ids are 404."""

import datetime as dt

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from profiledesk.confirmations.models import Confirmation, ReportLink
from profiledesk.policies.defaults import policy_for
from profiledesk.tickets.models import State, Ticket
from tests.factories import TicketFactory, complete_customer
from verification.models import Attempt, Method, Result
from verification.status import achieved_level

from .conftest import sign_in

pytestmark = pytest.mark.django_db

PREFS = {
    "category": "preferences",
    "marketing_email": "True",
    "email_notifications": "True",
    "sms_notifications": "True",
    "marketing_sms": "False",
    "confirm_by_email": "True",
    "confirm_by_sms": "False",
    "confirm_in_app": "False",
    "auto_renew": "True",
}
ADDRESS = {
    "category": "contact",
    "address_line1": "1 Portal Street",
    "address_city": "London",
    "address_postal_code": "SW1A 1AA",
    "address_country": "GB",
}


def _change(http, slug, data):
    return http.post(reverse("portal:change", kwargs={"slug": slug}), data)


def test_preferences_are_applied_at_once_by_the_desk_itself(portal, northwind, customer):
    assert customer.preferences.marketing_email is False
    response = _change(portal, northwind.slug, PREFS)
    assert response.status_code == 302, response.content.decode()[:3000]
    ticket = Ticket.objects.get(customer=customer, channel="web")
    assert ticket.state in (State.APPLIED, State.CLOSED)
    customer.preferences.refresh_from_db()
    assert customer.preferences.marketing_email is True
    latest = customer.preferences.history.latest()
    assert latest.history_change_reason == "self-service"
    assert latest.history_user is None
    # The customer is told, with the "this wasn't me" link.
    assert Confirmation.objects.filter(ticket=ticket).exists()
    assert ReportLink.objects.filter(ticket=ticket).exists()
    page = portal.get(response["Location"])
    assert "your change is made" in page.content.decode()


def test_the_sign_in_is_the_verification_evidence_on_the_ticket(portal, northwind, customer):
    _change(portal, northwind.slug, ADDRESS)
    ticket = Ticket.objects.get(customer=customer, channel="web")
    attempt = Attempt.objects.get(ticket=ticket)
    assert (attempt.method, attempt.result, attempt.staff) == (Method.OTP, Result.PASSED, None)
    assert attempt.detail["portal"] is True and "AL1" in attempt.detail["proves"]
    assert "•" in attempt.detail["to"]  # masked
    assert achieved_level(ticket) == 1
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31)):
        assert achieved_level(ticket) == 0  # the wizard's 30 minutes, no more


def test_an_address_change_waits_for_the_desk(portal, northwind, customer):
    before = customer.addresses.count()
    response = _change(portal, northwind.slug, ADDRESS)
    assert response.status_code == 302
    ticket = Ticket.objects.get(customer=customer, channel="web")
    assert ticket.state == State.NEW and ticket.created_by is None
    assert ticket.items.filter(field__startswith="postaladdress.").exists()
    assert customer.addresses.count() == before
    page = portal.get(response["Location"]).content.decode()
    assert ticket.reference in page and "Our team checks it" in page


def test_a_self_service_change_needs_a_recent_sign_in(portal, northwind, customer):
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=14)):
        portal.get(reverse("portal:home", kwargs={"slug": northwind.slug}))
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=28)):
        portal.get(reverse("portal:home", kwargs={"slug": northwind.slug}))
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=40)):
        response = _change(portal, northwind.slug, PREFS)
    assert "sign in again" in response.content.decode()
    assert not Ticket.objects.filter(customer=customer).exists()


def test_a_category_closed_to_self_service_becomes_a_request(portal, northwind, customer):
    policy = policy_for(client=northwind, category="preferences")
    policy.self_service = False
    policy.save()
    _change(portal, northwind.slug, PREFS)
    ticket = Ticket.objects.get(customer=customer, channel="web")
    assert ticket.state == State.NEW
    customer.preferences.refresh_from_db()
    assert customer.preferences.marketing_email is False


def test_a_frozen_profile_is_not_changed_from_the_portal(portal, northwind, customer):
    customer.frozen_at = timezone.now()
    customer.save(update_fields=["frozen_at"])
    _change(portal, northwind.slug, PREFS)
    customer.preferences.refresh_from_db()
    assert customer.preferences.marketing_email is False
    assert Ticket.objects.get(customer=customer).state not in (State.APPLIED, State.CLOSED)


def test_a_bad_value_is_a_message_on_the_field(portal, northwind):
    response = _change(portal, northwind.slug, {**ADDRESS, "address_postal_code": "NOT A CODE"})
    assert response.status_code == 400
    assert "is-invalid" in response.content.decode()
    assert not Ticket.objects.exists()


def test_another_customers_ticket_is_404(portal, northwind, customer, personas):
    other = complete_customer(northwind, legal_name="Ada Lovelace")
    theirs = TicketFactory(customer=other, created_by=personas["agent"])
    mine = TicketFactory(customer=customer, created_by=personas["agent"])
    url = "portal:request"
    ok = portal.get(reverse(url, kwargs={"slug": northwind.slug, "reference": mine.reference}))
    assert ok.status_code == 200
    for reference in (theirs.reference, "PD-999999", "%2E%2E"):
        response = portal.get(reverse(url, kwargs={"slug": northwind.slug, "reference": reference}))
        assert response.status_code == 404


def test_another_customers_confirmation_is_404(portal, northwind, customer, codes):
    other = complete_customer(northwind, legal_name="Ada Lovelace")
    theirs = sign_in(HttpClient(), northwind.slug, other.emails.get().email, codes)
    _change(theirs, northwind.slug, PREFS)
    link = ReportLink.objects.get(ticket__customer=other)
    url = reverse("portal:report", kwargs={"slug": northwind.slug, "link_id": link.pk})
    assert portal.get(url).status_code == 404
    assert portal.post(url).status_code == 404
    other.refresh_from_db()
    assert other.frozen_at is None and link.used_at is None


def test_this_wasnt_me_from_the_portal_freezes_and_opens_a_security_ticket(
    portal, northwind, customer
):
    _change(portal, northwind.slug, PREFS)
    link = ReportLink.objects.filter(ticket__customer=customer).first()
    home = portal.get(reverse("portal:home", kwargs={"slug": northwind.slug})).content.decode()
    url = reverse("portal:report", kwargs={"slug": northwind.slug, "link_id": link.pk})
    assert url in home
    assert portal.get(url).status_code == 200
    customer.refresh_from_db()
    assert customer.frozen_at is None  # a GET does nothing
    response = portal.post(url)
    assert response.status_code == 200
    customer.refresh_from_db()
    link.refresh_from_db()
    assert customer.frozen_at is not None and link.used_at is not None
    assert link.report_ticket.state == State.ESCALATED
    assert portal.post(url).status_code == 410  # once


def test_the_desk_sees_the_portal_request_and_its_evidence(portal, northwind, customer, personas):
    from tests.conftest import signed_in

    _change(portal, northwind.slug, ADDRESS)
    ticket = Ticket.objects.get(customer=customer, channel="web")
    agent = signed_in(personas["agent"])
    queue = agent.get(reverse("tickets:queue") + "?channel=web")
    assert ticket.reference in queue.content.decode()
    page = agent.get(reverse("tickets:detail", kwargs={"reference": ticket.reference}))
    assert page.status_code == 200
    text = page.content.decode()
    assert "customer portal" in text and "AL1" in text
    # Claimed and being verified: the wizard counts the portal's code (AL1 of AL2).
    from profiledesk.tickets.services import ticket_claim
    from profiledesk.tickets.states import transition

    ticket_claim(ticket=ticket, by=personas["agent"])
    transition(ticket=ticket, to=State.VERIFYING, by=personas["agent"])
    page = agent.get(reverse("tickets:detail", kwargs={"reference": ticket.reference}))
    assert page.status_code == 200
    assert achieved_level(ticket) == 1


def test_the_change_forms_show_nothing_in_clear_and_speak_to_the_customer(
    portal, northwind, customer
):
    url = reverse("portal:change", kwargs={"slug": northwind.slug})
    personal = portal.get(url + "?category=personal").content.decode()
    assert "Grace Hopper" not in personal
    contact = portal.get(url + "?category=contact").content.decode()
    assert customer.emails.get().email not in contact
    assert "The customer proves it" not in contact and "check it is yours" in contact


def test_the_customer_reads_the_status_in_their_words(portal, northwind, customer):
    _change(portal, northwind.slug, ADDRESS)
    page = portal.get(reverse("portal:home", kwargs={"slug": northwind.slug})).content.decode()
    assert "Received" in page and ">New<" not in page
