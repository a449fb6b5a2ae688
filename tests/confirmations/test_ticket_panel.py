"""The ticket page's confirmations panel: masked recipients and each message's status,
in a query budget that does not grow with the number of confirmations."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from profiledesk.confirmations.services import confirmations_create
from profiledesk.customers.models import Preferences
from profiledesk.privacy.masking import mask_email
from tests.conftest import signed_in

from .conftest import email_change, send, set_fields

pytestmark = pytest.mark.django_db


def page_queries(http, ticket) -> tuple[str, int]:
    url = reverse("tickets:detail", args=[ticket.reference])
    http.get(url)  # warm the session's cached bits
    with CaptureQueriesContext(connection) as queries:
        response = http.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_the_panel_shows_masked_recipients_and_statuses(customer, agent):
    ticket, old = email_change(customer)
    first, _second = confirmations_create(ticket=ticket)
    send(first)

    page, _count = page_queries(signed_in(agent), ticket)

    assert 'data-testid="confirmations"' in page
    assert mask_email(old) in page and "n•••@example.com" in page
    assert old not in page and "new.address@example.com" not in page
    assert 'data-status="sent"' in page and 'data-status="queued"' in page


def test_the_panel_costs_one_query_whatever_the_number_of_confirmations(customer, agent):
    from tests.factories import complete_customer

    http = signed_in(agent)
    one_ticket, _old = email_change(customer)
    confirmations_create(ticket=one_ticket)  # two confirmations: old and new address
    other = complete_customer(customer.client)
    set_fields(Preferences.objects.get(customer=other), confirm_by_sms=True)
    many_ticket, _old = email_change(other)
    assert len(confirmations_create(ticket=many_ticket)) == 3  # and an SMS

    # The panel adds one query (confirmations with their messages) to the page.
    _page, few = page_queries(http, one_ticket)
    _page, more = page_queries(http, many_ticket)

    assert few == more
