"""Revealing a masked value (DESIGN 2, 7): a deliberate POST, recorded in the audit log
with who, whose and which field, never the value itself."""

import json

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from tests.conftest import signed_in
from tests.factories import card_on_file, complete_customer


def _reveals():
    return AuditEvent.objects.filter(action="customer.sensitive_revealed")


def _reveal_url(customer, kind: str, row, field: str) -> str:
    return reverse("customers:reveal", args=[customer.pk, kind, row.pk, field])


def _reveal(user, customer, kind: str, row, field: str, **headers):
    return signed_in(user).post(_reveal_url(customer, kind, row, field), headers=headers)


def test_an_agent_reveals_a_national_id_and_the_reveal_is_recorded(personas, customer):
    agent = personas["agent"]
    response = _reveal(agent, customer, "personal", customer.personal, "national_id")

    assert response.status_code == 200
    assert "QQ123456C" in response.content.decode()
    event = _reveals().get()
    assert (event.actor, event.actor_username) == (agent, "agent")
    assert event.client == customer.client
    assert (event.target_type, event.target_id) == ("customers.customer", str(customer.pk))
    assert event.data["field"] == "national_id"
    assert event.data["row_id"] == customer.personal.pk
    assert "QQ123456C" not in json.dumps(event.data)


@pytest.mark.parametrize(
    ("kind", "row", "field", "value"),
    [
        ("personal", lambda c: c.personal, "date_of_birth", "1984-03-07"),
        ("email", lambda c: c.emails.get(), "email", None),
        ("phone", lambda c: c.phones.get(), "number", None),
        ("address", lambda c: c.addresses.get(), "line1", "10 Downing Street"),
    ],
)
def test_a_revealed_value_is_shown_in_full_and_kept_out_of_the_audit_log(
    personas, customer, kind, row, field, value
):
    target = row(customer)
    value = value or getattr(target, field)
    response = _reveal(personas["supervisor"], customer, kind, target, field)
    assert value in response.content.decode()
    assert value not in json.dumps(_reveals().get().data)


def test_a_bank_account_reveal_shows_the_full_iban_from_the_vault(personas, customer):
    bank = customer.bank_accounts.get()
    response = _reveal(personas["agent"], customer, "bank", bank, "iban_masked")
    assert response.status_code == 200
    assert "GB82 WEST 1234 5698 7654 32" in response.content.decode()
    event = _reveals().get()
    assert event.data["field"] == "iban_masked"
    assert "5698" not in json.dumps(event.data)


def test_an_htmx_reveal_answers_with_the_value_alone(personas, customer):
    response = _reveal(
        personas["agent"],
        customer,
        "personal",
        customer.personal,
        "national_id",
        HX_Request="true",
    )
    page = response.content.decode()
    assert 'data-testid="revealed"' in page
    assert "QQ123456C" in page
    assert "<html" not in page


def test_a_revealed_value_is_not_kept_in_any_cache(personas, customer):
    response = _reveal(personas["agent"], customer, "personal", customer.personal, "national_id")
    assert "no-store" in response["Cache-Control"]


def test_a_reveal_appears_in_the_profiles_access_log(personas, customer):
    _reveal(personas["compliance"], customer, "personal", customer.personal, "national_id")
    profile = signed_in(personas["agent"]).get(reverse("customers:profile", args=[customer.pk]))
    log = profile.content.decode().split('data-testid="access-log"')[1]
    assert "compliance" in log
    assert "national ID" in log


def test_a_reveal_cannot_be_made_with_get(personas, customer):
    url = _reveal_url(customer, "personal", customer.personal, "national_id")
    response = signed_in(personas["agent"]).get(url)
    assert response.status_code == 405
    assert "QQ123456C" not in response.content.decode()
    assert not _reveals().exists()


def test_a_reveal_without_the_csrf_token_is_refused(personas, customer):
    http = signed_in(personas["agent"])
    http.handler.enforce_csrf_checks = True
    response = http.post(_reveal_url(customer, "personal", customer.personal, "national_id"))
    assert response.status_code == 403
    assert not _reveals().exists()


@pytest.mark.parametrize(
    ("kind", "row", "field"),
    [
        ("bank", lambda c: c.bank_accounts.get(), "vault_token"),
        ("bank", lambda c: c.bank_accounts.get(), "fingerprint"),
        ("security", lambda c: c.security_questions.get(), "answer_hash"),
        ("question", lambda c: c.security_questions.get(), "answer_hash"),
        ("personal", lambda c: c.personal, "legal_name"),  # never masked: nothing to reveal
        ("personal", lambda c: c.personal, "no_such_field"),
        ("personal", lambda c: c.personal, "__class__"),
    ],
)
def test_a_secret_or_unmasked_field_cannot_be_revealed(personas, customer, kind, row, field):
    target = row(customer)
    response = _reveal(personas["agent"], customer, kind, target, field)
    assert response.status_code == 404
    assert not _reveals().exists()
    if hasattr(target, field) and isinstance(getattr(target, field), str):
        assert getattr(target, field) not in response.content.decode()


def test_a_card_token_cannot_be_revealed(personas, customer):
    card = card_on_file(customer, "4111111111111111", exp_month=1, holder_name="G HOPPER")
    for kind in ["card", "bank"]:
        response = _reveal(personas["agent"], customer, kind, card, "vault_token")
        assert response.status_code == 404
        assert card.vault_token not in response.content.decode()
    assert not _reveals().exists()


def test_a_row_of_another_customer_cannot_be_revealed_through_this_customers_url(
    personas, northwind, customer
):
    other = complete_customer(northwind, legal_name="Alan Turing", national_id="AB987654C")
    response = _reveal(personas["agent"], customer, "personal", other.personal, "national_id")
    assert response.status_code == 404
    assert "AB987654C" not in response.content.decode()
    assert not _reveals().exists()


def test_an_agent_of_another_client_gets_404(personas, customer):
    response = _reveal(personas["outsider"], customer, "personal", customer.personal, "national_id")
    assert response.status_code == 404
    assert "QQ123456C" not in response.content.decode()
    assert not _reveals().exists()


def test_a_desk_admin_may_not_reveal(personas, customer):
    response = _reveal(
        personas["desk_admin"], customer, "personal", customer.personal, "national_id"
    )
    assert response.status_code == 403
    assert "QQ123456C" not in response.content.decode()
    assert not _reveals().exists()
