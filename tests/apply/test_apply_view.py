"""POST /apply/<reference>/: the ticket page's "Apply" button."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from profiledesk.customers import models as m
from profiledesk.tickets.models import State
from tests.conftest import signed_in

from .helpers import applicable

pytestmark = pytest.mark.usefixtures("clock")


def test_the_ticket_page_offers_apply_and_the_button_applies(customer, personas):
    ticket = applicable(customer, personas, "preferences", {"marketing_email": True})
    http = signed_in(personas["agent"])
    url = reverse("apply:apply", args=[ticket.reference])
    page = http.get(reverse("tickets:detail", args=[ticket.reference]))
    assert f'action="{url}"' in page.content.decode()

    response = http.post(url)
    assert response.status_code == 302
    assert response.url == reverse("tickets:detail", args=[ticket.reference])
    ticket.refresh_from_db()
    assert ticket.state == State.APPLIED
    assert m.Preferences.objects.get(customer=customer).marketing_email is True


def test_a_refusal_is_a_message_not_an_error(customer, personas):
    ticket = applicable(customer, personas, "preferences", {"marketing_email": True})
    http = signed_in(personas["agent"])
    url = reverse("apply:apply", args=[ticket.reference])
    http.post(url)
    response = http.post(url)
    assert response.status_code == 302
    texts = [str(message) for message in get_messages(response.wsgi_request)]
    assert any("cannot be applied" in text for text in texts)


def test_staff_of_another_client_get_a_404(customer, personas):
    ticket = applicable(customer, personas, "preferences", {"marketing_email": True})
    response = signed_in(personas["outsider"]).post(reverse("apply:apply", args=[ticket.reference]))
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.state == State.READY
