"""confirmations.views.report: the customer's "this wasn't me" page (public, signed,
single use, 7 days; GET never acts)."""

import datetime as dt

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from profiledesk.confirmations.models import ReportLink
from profiledesk.confirmations.services import confirmations_create
from profiledesk.customers.models import LanguageRegion
from profiledesk.tickets.models import RiskLevel, State, Ticket, TicketEvent

from .conftest import email_change, link_token, set_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(customer):
    """(the applied ticket, the old address, the token of the old address's link)."""
    ticket, old = email_change(customer)
    messages = confirmations_create(ticket=ticket)
    to_old = next(m for m in messages if m.recipient == old)
    return ticket, old, link_token(to_old)


def url(token: str) -> str:
    return reverse("confirmations:report", args=[token])


def test_a_valid_link_shows_a_form_and_does_nothing_on_get(confirmed, customer):
    ticket, old, token = confirmed
    tickets_before = Ticket.objects.count()

    response = HttpClient().get(url(token))

    assert response.status_code == 200
    page = response.content.decode()
    assert ticket.reference in page
    assert '<form method="post">' in page and "csrfmiddlewaretoken" in page
    # No customer data beyond the reference.
    for data in (old, "new.address@example.com", customer.number, "Grace", "Hopper"):
        assert data not in page
    customer.refresh_from_db()
    assert customer.frozen_at is None
    assert Ticket.objects.count() == tickets_before
    assert ReportLink.objects.filter(used_at__isnull=False).count() == 0


def test_confirming_freezes_the_profile_and_opens_a_linked_escalated_ticket(confirmed, customer):
    ticket, _old, token = confirmed

    response = HttpClient().post(url(token))

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.frozen_at is not None
    link = ReportLink.objects.get(used_at__isnull=False)
    report = link.report_ticket
    assert link.ticket_id == ticket.pk
    assert report.customer_id == customer.pk
    assert report.state == State.ESCALATED
    assert report.risk_level == RiskLevel.CRITICAL
    assert report.channel == "web" and report.category == ticket.category
    assert report.summary == f"Reported by the customer: this wasn't me ({ticket.reference})"
    escalation = TicketEvent.objects.get(ticket=report, to_state=State.ESCALATED)
    assert escalation.actor is None and ticket.reference in escalation.message
    assert TicketEvent.objects.filter(ticket=ticket, message__contains=report.reference).exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"customer.frozen", "confirmation.reported"} <= actions
    page = response.content.decode()
    assert report.reference in page and "What happens next" in page


def test_a_link_works_once(confirmed):
    _ticket, _old, token = confirmed
    http = HttpClient()
    http.post(url(token))

    again = http.post(url(token))
    shown = http.get(url(token))

    assert again.status_code == 410 and shown.status_code == 410
    assert "already been used" in again.content.decode()
    assert Ticket.objects.filter(state=State.ESCALATED).count() == 1


def test_a_link_expires_after_seven_days(confirmed, customer):
    _ticket, _old, token = confirmed

    with time_machine.travel(timezone.now() + dt.timedelta(days=7, minutes=1)):
        shown = HttpClient().get(url(token))
        posted = HttpClient().post(url(token))

    assert shown.status_code == 410 and "has expired" in shown.content.decode()
    assert posted.status_code == 410
    customer.refresh_from_db()
    assert customer.frozen_at is None


def test_a_link_still_works_just_before_seven_days(confirmed):
    _ticket, _old, token = confirmed

    with time_machine.travel(timezone.now() + dt.timedelta(days=6, hours=23)):
        response = HttpClient().get(url(token))

    assert response.status_code == 200


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature
        lambda t: ("x" + t[1:]) if t[0] != "x" else ("y" + t[1:]),  # the value
        lambda t: "not-a-token",
    ],
)
def test_a_tampered_link_gets_a_clear_page(confirmed, customer, tamper):
    _ticket, _old, token = confirmed

    response = HttpClient().post(url(tamper(token)))

    assert response.status_code == 404
    assert "not valid" in response.content.decode()
    customer.refresh_from_db()
    assert customer.frozen_at is None


def test_a_validly_signed_token_the_desk_never_issued_is_refused(confirmed):
    from django.core import signing

    from profiledesk.confirmations.tokens import SALT

    forged = signing.TimestampSigner(salt=SALT).sign("made-up")

    assert HttpClient().get(url(forged)).status_code == 404


def test_the_post_needs_the_csrf_token(confirmed, customer):
    _ticket, _old, token = confirmed

    response = HttpClient(enforce_csrf_checks=True).post(url(token))

    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.frozen_at is None


def test_the_post_with_the_forms_csrf_token_acts(confirmed, customer):
    _ticket, _old, token = confirmed
    http = HttpClient(enforce_csrf_checks=True)
    http.get(url(token))

    response = http.post(url(token), {"csrfmiddlewaretoken": http.cookies["csrftoken"].value})

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.frozen_at is not None


def test_the_page_is_in_the_customers_language(customer):
    set_fields(LanguageRegion.objects.get(customer=customer), language="es")
    ticket, _old = email_change(customer)
    [message, *_] = confirmations_create(ticket=ticket)
    token = link_token(message)

    shown = HttpClient().get(url(token))
    done = HttpClient().post(url(token))

    assert "¿No has hecho este cambio?" in shown.content.decode()
    assert "tu perfil está bloqueado" in done.content.decode()


def test_a_profile_already_frozen_stays_frozen_and_the_report_is_still_opened(confirmed, customer):
    _ticket, _old, token = confirmed
    set_fields(customer, frozen_at=timezone.now(), frozen_reason="x")

    response = HttpClient().post(url(token))

    assert response.status_code == 200
    assert Ticket.objects.filter(state=State.ESCALATED, customer=customer).count() == 1
