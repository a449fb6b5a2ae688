"""The customer profile page (docs/design.md §2, §10): every section, masked until revealed, with
the recent reveals listed, in a fixed number of queries."""

import re

import pytest
from django.urls import reverse

from audit.services import audit_record
from profiledesk.customers.models import LinkedAccount, PaymentCard
from profiledesk.tickets.models import ChangeItem, State
from tests.conftest import signed_in
from tests.factories import card_on_file, complete_customer
from tests.tickets.queue_helpers import queue_ticket


def _profile(user, customer):
    return signed_in(user).get(reverse("customers:profile", args=[customer.pk]))


def _add_card(customer, number: str) -> PaymentCard:
    return card_on_file(
        customer,
        number,
        exp_month=4,
        holder_name="G HOPPER",
        billing_address=customer.addresses.first(),
    )


def test_profile_shows_contact_details_masked(personas, customer):
    response = _profile(personas["agent"], customer)
    assert response.status_code == 200
    email = customer.emails.get().email
    assert email not in response.content.decode()
    assert f"{email[0]}•••@example.com" in response.content.decode()


def test_profile_masks_the_phone_address_national_id_and_date_of_birth(personas, customer):
    page = _profile(personas["agent"], customer).content.decode()
    phone = customer.phones.get().number
    assert phone not in page
    assert f"+44 •••• ••{phone[-4:]}" in page
    assert "10 Downing Street" not in page
    assert "QQ123456C" not in page
    assert "•••• 456C" in page
    assert "1984-03-07" not in page
    assert "••/••/1984" in page


def test_profile_shows_the_iban_masked_and_never_the_vault_token(personas, customer):
    bank = customer.bank_accounts.get()
    page = _profile(personas["agent"], customer).content.decode()
    assert "GB82WEST12345698765432" not in page
    assert "GB82 WEST 1234 5698 7654 32" not in page
    assert "•••• 5432" in page
    assert bank.vault_token not in page
    assert bank.fingerprint not in page


def test_profile_shows_a_card_as_bin_and_last_four_only(personas, customer):
    card = _add_card(customer, "4111 1111 1111 1111")
    page = _profile(personas["agent"], customer).content.decode()
    assert "4111 11•• •••• 1111" in page
    assert "4111111111111111" not in page
    assert "4111 1111 1111 1111" not in page
    assert card.vault_token not in page


def test_profile_never_shows_a_security_answer_or_its_hash(personas, customer):
    question = customer.security_questions.get()
    page = _profile(personas["agent"], customer).content.decode()
    assert "First school?" in page
    assert "•••••• (set)" in page
    assert question.answer_hash not in page
    # The answer (St Mary's, factories.SecurityQuestionFactory), however it is written;
    # a bare "Mary" could be a generated name or street.
    assert "St Mary" not in page and "St Mary&#x27;s" not in page


def test_an_agent_gets_a_reveal_button_for_each_revealable_field(personas, customer):
    from tests.approvals.helpers import verify
    from tests.verification.helpers import open_ticket

    # Only while holding a verified ticket of the customer (issue 11; test_reveal.py).
    verify(open_ticket(customer, personas["agent"]), personas["agent"], level=2)
    page = _profile(personas["agent"], customer).content.decode()
    personal = customer.personal
    email = customer.emails.get()
    bank = customer.bank_accounts.get()
    for kind, row, field in [
        ("personal", personal, "national_id"),
        ("personal", personal, "date_of_birth"),
        ("email", email, "email"),
        ("bank", bank, "iban_masked"),
    ]:
        assert reverse("customers:reveal", args=[customer.pk, kind, row.pk, field]) in page


def test_profile_lists_who_revealed_what(personas, customer):
    audit_record(
        action="customer.sensitive_revealed",
        actor=personas["supervisor"],
        client=customer.client,
        target=customer,
        data={"section": "personal", "field": "national_id", "label": "national ID"},
    )
    log = (
        _profile(personas["agent"], customer).content.decode().split('data-testid="access-log"')[1]
    )
    # Named as the desk names staff everywhere: the full name, not the username.
    assert str(personas["supervisor"].get_full_name()) in log
    assert "national ID" in log


def test_an_agent_of_another_client_gets_404(personas, customer):
    assert _profile(personas["outsider"], customer).status_code == 404


def test_a_desk_admin_cannot_browse_customers(personas, customer):
    assert _profile(personas["desk_admin"], customer).status_code == 403


@pytest.mark.parametrize("rows", [1, 8])
def test_the_profile_page_runs_the_same_queries_for_1_or_8_rows_per_section(
    personas, northwind, django_assert_num_queries, rows
):
    customer = complete_customer(northwind, emails=rows, phones=rows)
    for number in ["4111111111111111", "5555555555554444", "378282246310005"][: min(rows, 3)]:
        _add_card(customer, number)
    for provider in list(LinkedAccount.Provider)[: min(rows, 4)]:
        LinkedAccount.objects.create(
            customer=customer,
            provider=provider,
            external_id=f"ext-{provider}",
            linked_at=customer.created_at,
        )
    for _ in range(rows):  # open and finished requests of the customer, each with an item
        for state in (State.NEW, State.CLOSED):
            ticket = queue_ticket(northwind, customer=customer, state=state)
            ChangeItem.objects.create(
                ticket=ticket, section="contact", field="email", label="E-mail"
            )
    for _ in range(rows):
        audit_record(
            action="customer.sensitive_revealed",
            actor=personas["supervisor"],
            client=northwind,
            target=customer,
            data={"section": "personal", "field": "national_id", "label": "national ID"},
        )
    http = signed_in(personas["agent"])
    # Expect 16 queries: the session, the staff member, their TOTP device (second factor),
    # their permissions and groups (one query); the customer with client and one-row
    # sections (access helper); the customer's open requests and their finished ones
    # (each with its summary and assignee in the one query); the staff member's open
    # tickets of the customer (may they reveal? none here); e-mails, phones, addresses,
    # security questions, linked accounts, cards, bank accounts (one each); the recent
    # reveals.
    with django_assert_num_queries(16):
        response = http.get(reverse("customers:profile", args=[customer.pk]))
    page = response.content.decode()
    assert len(re.findall(r'data-testid="email"', page)) == rows
    assert len(re.findall(r'data-testid="phone"', page)) == rows
