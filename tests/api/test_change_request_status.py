"""GET /api/v1/change-requests/{reference}/: the key's client's tickets only, masked."""

import pytest

from profiledesk.api.keys import api_key_create
from tests.api.conftest import CARD, bearer, email_change, submit
from tests.factories import TicketFactory, complete_customer


def _status(http, reference):
    return http.get(f"/api/v1/change-requests/{reference}/")


def test_the_status_of_a_submitted_request_is_its_state_and_masked_changes(api, customer):
    created = submit(api, email_change(customer, "grace.new@example.com")).json()
    response = _status(api, created["reference"])
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == created["reference"]
    assert (body["state"], body["category"], body["channel"]) == ("new", "contact", "api")
    assert body["customer"] == customer.number
    assert body["created_at"] and body["sla_due_at"]
    [item] = body["items"]
    assert item["new_value"] == "g•••@example.com"
    assert "@" in item["old_value"] and "•" in item["old_value"]
    assert "grace.new" not in response.content.decode()


def test_a_card_change_shows_no_more_than_bin_and_last_four(api, customer):
    body = {
        "customer": customer.number,
        "category": "billing",
        "changes": {
            "card_number": CARD,
            "card_exp_month": 12,
            "card_exp_year": 2099,
            "card_holder_name": "Grace Hopper",
        },
    }
    reference = submit(api, body).json()["reference"]
    items = {i["field"]: i["new_value"] for i in _status(api, reference).json()["items"]}
    assert items["paymentcard.vault_token"] == "Visa 4111 11•• •••• 1111"


def test_a_ticket_of_another_client_is_not_found(api, solaris):
    theirs = TicketFactory(customer=complete_customer(solaris))
    response = _status(api, theirs.reference)
    assert response.status_code == 404


def test_another_clients_key_cannot_read_our_ticket(api, customer, solaris):
    reference = submit(api, email_change(customer)).json()["reference"]
    _, solaris_raw = api_key_create(client=solaris, name="Solaris app")
    assert _status(bearer(solaris_raw), reference).status_code == 404


@pytest.mark.parametrize("reference", ["PD-999999", "PD-1", "anything", "PD-00000%2F1"])
def test_an_unknown_or_malformed_reference_is_not_found(api, reference):
    response = _status(api, reference)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_a_ticket_opened_on_the_desk_is_readable_by_its_client(api, customer, agent):
    ticket = TicketFactory(customer=customer, created_by=agent)
    assert _status(api, ticket.reference).json()["channel"] == ticket.channel


def test_the_status_costs_a_fixed_number_of_queries(api, customer, django_assert_num_queries):
    body = {
        "customer": customer.number,
        "category": "preferences",
        "changes": {"marketing_email": True, "marketing_sms": True, "auto_renew": False},
    }
    reference = submit(api, body).json()["reference"]
    # Expect 3 queries: the API key (with its client), the ticket (with its customer), and
    # its items. last_used_at was written by the request above: no write within a minute.
    with django_assert_num_queries(3):
        assert _status(api, reference).status_code == 200
