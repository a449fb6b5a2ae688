"""A confirmation through a real SMTP server (aiosmtpd), and its link used from the
e-mail the old address received."""

import pytest
from django.test import Client as HttpClient

from profiledesk.confirmations.services import confirmations_create
from profiledesk.tickets.models import State, Ticket

from .conftest import LINK, email_change, send

pytestmark = pytest.mark.django_db


def test_old_and_new_addresses_get_the_confirmation_and_the_old_one_can_report(
    customer, smtp_server
):
    ticket, old = email_change(customer)

    for message in confirmations_create(ticket=ticket):
        assert send(message) == "sent"

    received = {tuple(m["to"]): m["message"] for m in smtp_server.messages}
    assert set(received) == {(old,), ("new.address@example.com",)}
    to_old = received[(old,)]
    assert to_old["Subject"] == f"Northwind Energy: your profile was changed ({ticket.reference})"
    text = to_old.get_body(preferencelist=("plain",)).get_content()
    html = to_old.get_body(preferencelist=("html",)).get_content()
    assert "new.address@example.com" not in text + html
    ticket.refresh_from_db()
    assert ticket.state == State.CLOSED

    token = LINK.search(text).group(1)
    response = HttpClient().post(f"/confirm/report/{token}")

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.frozen_at is not None
    assert Ticket.objects.filter(customer=customer, state=State.ESCALATED).count() == 1
