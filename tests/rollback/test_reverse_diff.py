"""rules.reverse_of_ticket / reverse_of_version: the earlier values from history, as the
items intake would capture, masked the same way; secrets as their earlier vault token."""

import json

import pytest

from profiledesk.customers import models as m
from profiledesk.rollback.rules import reverse_of_ticket, reverse_of_version, ticket_problem
from profiledesk.tickets.models import State
from tests.factories import BankAccountFactory, EmailAddressFactory, card_on_file

from .helpers import CARD, applied

pytestmark = pytest.mark.usefixtures("clock")


def by_field(diff):
    return {item.field: item for item in diff.items}


def test_a_changed_value_goes_back_to_the_earlier_value_on_the_same_row(customer, personas):
    personal = customer.personal
    ticket = applied(customer, personas, "personal", {"preferred_name": "Amazing Grace"})
    diff = reverse_of_ticket(ticket)
    [item] = diff.items
    assert (item.section, item.field, item.target_id) == (
        "personal",
        "personaldetails.preferred_name",
        personal.pk,
    )
    assert item.new_value == ""  # she had no preferred name before
    assert item.old_display == "Amazing Grace"  # what the profile holds now
    assert diff.problem is None and diff.changed_since == []


def test_a_sensitive_value_is_restored_but_shown_masked(customer, personas):
    ticket = applied(customer, personas, "personal", {"national_id": "AB123456C"})
    [item] = [i for i in reverse_of_ticket(ticket).items if i.field.endswith("national_id")]
    assert item.new_value == "QQ123456C"  # the real earlier value, from history
    assert "QQ123456C" not in item.new_display and item.new_display.endswith("456C")
    assert "AB123456C" not in item.old_display


def test_a_new_primary_email_gives_the_primary_back_and_says_the_new_row_stays(customer, personas):
    old = customer.emails.get(is_primary=True)
    ticket = applied(
        customer, personas, "contact", {"email": "grace@navy.example", "email_make_primary": True}
    )
    diff = reverse_of_ticket(ticket)
    [item] = diff.items
    assert (item.field, item.target_id, item.new_value) == (
        "emailaddress.is_primary",
        old.pk,
        "true",
    )
    assert any("e-mail address this ticket added stays" in note for note in diff.notes)


def test_an_email_changed_in_place_gets_its_earlier_address(customer, personas):
    second = EmailAddressFactory(customer=customer, is_primary=False, email="work@old.example")
    ticket = applied(
        customer, personas, "contact", {"email": "work@new.example", "email_target": second.pk}
    )
    [item] = reverse_of_ticket(ticket).items
    assert (item.field, item.target_id, item.new_value) == (
        "emailaddress.email",
        second.pk,
        "work@old.example",
    )
    assert "work@old.example" not in item.new_display  # masked like capture masks it


def test_a_replaced_card_goes_back_to_its_earlier_vault_token_never_a_number(customer, personas):
    card = card_on_file(customer, "4111111111111111", is_default=True)
    earlier = (card.vault_token, card.fingerprint, card.brand, card.bin, card.last4)
    ticket = applied(customer, personas, "billing", {**CARD, "card_target": card.pk})
    card.refresh_from_db()
    assert card.last4 == "4444"

    diff = reverse_of_ticket(ticket)
    items = by_field(diff)
    token = json.loads(items["paymentcard.vault_token"].new_value)
    assert (token["token"], token["fingerprint"], token["brand"], token["bin"], token["last4"]) == (
        earlier
    )
    assert items["paymentcard.vault_token"].is_secret
    assert items["paymentcard.vault_token"].target_id == card.pk
    assert items["paymentcard.vault_token"].new_display.endswith("1111")
    assert items["paymentcard.vault_token"].old_display.endswith("4444")
    assert items["paymentcard.exp_year"].new_value == "2030"
    assert items["paymentcard.holder_name"].new_value == "A CUSTOMER"
    everything = json.dumps([item.__dict__ for item in diff.items])
    assert "4111111111111111" not in everything and "5555555555554444" not in everything


def test_a_replaced_iban_goes_back_to_its_earlier_token(customer, personas):
    bank = customer.bank_accounts.get()
    earlier = (bank.vault_token, bank.fingerprint, bank.iban_masked, bank.country)
    ticket = applied(
        customer,
        personas,
        "billing",
        {"iban": "DE89370400440532013000", "bank_target": bank.pk},
    )
    [item] = [i for i in reverse_of_ticket(ticket).items if i.field == "bankaccount.vault_token"]
    token = json.loads(item.new_value)
    assert (token["token"], token["fingerprint"], token["iban_masked"], token["country"]) == earlier
    assert item.new_display == earlier[2] and "GB82WEST12345698765432" not in item.new_value


def test_a_field_changed_again_since_is_still_restored_and_named(customer, personas, clock):
    first = applied(customer, personas, "personal", {"preferred_name": "Amazing Grace"}, clock)
    applied(customer, personas, "personal", {"preferred_name": "Admiral"}, clock)
    diff = reverse_of_ticket(first)
    [item] = diff.items
    assert item.new_value == ""
    assert diff.changed_since == ["Preferred name"]


def test_fields_the_ticket_did_not_touch_are_left_as_they_are_now(customer, personas, clock):
    first = applied(customer, personas, "personal", {"preferred_name": "Amazing Grace"}, clock)
    applied(customer, personas, "personal", {"legal_name": "Grace B. Hopper"}, clock)
    assert [i.field for i in reverse_of_ticket(first).items] == ["personaldetails.preferred_name"]


def test_nothing_to_restore_when_the_profile_already_holds_the_earlier_values(
    customer, personas, clock
):
    first = applied(customer, personas, "personal", {"preferred_name": "Amazing Grace"}, clock)
    personal = customer.personal
    personal.refresh_from_db()
    personal.preferred_name = ""
    personal.save()
    diff = reverse_of_ticket(first)
    assert diff.items == [] and "Nothing to restore" in diff.problem


def test_a_ticket_of_commands_only_cannot_be_rolled_back(customer, personas):
    ticket = applied(customer, personas, "security", {"password_reset": True})
    diff = reverse_of_ticket(ticket)
    assert diff.items == []
    assert "cannot be undone" in diff.problem


def test_an_unlinked_account_cannot_be_linked_again_by_the_desk(customer, personas):
    account = m.LinkedAccount.objects.create(
        customer=customer,
        provider="google",
        external_id="g-123456789",
        linked_at=customer.created_at,
    )
    ticket = applied(customer, personas, "linked_accounts", {"unlink": [account.pk]})
    diff = reverse_of_ticket(ticket)
    assert diff.items == [] and "sign-in flow" in diff.problem


def test_only_applied_or_closed_tickets_can_be_rolled_back(customer, personas):
    from tests.apply.helpers import ready

    ticket = ready(customer, personas["agent"], "personal", {"preferred_name": "G"})
    assert "Only an applied or closed ticket" in ticket_problem(ticket)
    assert ticket.state == State.READY


# --- from a past version -----------------------------------------------------------------


def test_a_past_version_is_compared_with_the_row_now(customer, personas, clock):
    personal = customer.personal
    version = personal.history.latest()  # before any change
    applied(customer, personas, "personal", {"preferred_name": "Amazing Grace"}, clock)
    applied(customer, personas, "personal", {"legal_name": "Grace B. Hopper"}, clock)
    diff = reverse_of_version(version)
    assert diff.category == "personal"
    assert {i.field: i.new_value for i in diff.items} == {
        "personaldetails.legal_name": "Grace Hopper",
        "personaldetails.preferred_name": "",
    }
    assert {i.target_id for i in diff.items} == {personal.pk}


def test_a_past_version_of_a_card_restores_its_token(customer, personas):
    card = card_on_file(customer, "4111111111111111", is_default=True)
    version = card.history.latest()
    applied(customer, personas, "billing", {**CARD, "card_target": card.pk})
    items = by_field(reverse_of_version(version))
    assert json.loads(items["paymentcard.vault_token"].new_value)["token"] == version.vault_token


def test_a_past_version_of_a_row_that_is_gone_is_recreated_as_a_new_row(customer):
    bank = BankAccountFactory(customer=customer, is_default=False, account_holder="G HOPPER")
    bank_id, token = bank.pk, bank.vault_token
    bank.delete()
    version = m.BankAccount.history.filter(id=bank_id, history_type="-").get()
    diff = reverse_of_version(version)
    items = by_field(diff)
    assert {i.target_id for i in diff.items} == {None}
    assert json.loads(items["bankaccount.vault_token"].new_value)["token"] == token
    assert items["bankaccount.account_holder"].new_value == "G HOPPER"
    assert "bankaccount.is_default" not in items  # it was not the default


def test_a_version_equal_to_the_profile_has_nothing_to_restore(customer):
    diff = reverse_of_version(customer.personal.history.latest())
    assert diff.items == [] and "Nothing to restore" in diff.problem


def test_a_security_answer_goes_back_to_its_earlier_hash_and_commands_are_named(customer, personas):
    question = customer.security_questions.get()
    earlier_hash = question.answer_hash
    ticket = applied(
        customer,
        personas,
        "security",
        {"password_reset": True, "answer": "Hogwarts", "question_target": question.pk},
    )
    diff = reverse_of_ticket(ticket)
    [item] = diff.items
    assert (item.field, item.target_id, item.new_value) == (
        "securityquestion.answer_hash",
        question.pk,
        earlier_hash,
    )
    assert item.is_secret and earlier_hash not in item.new_display
    assert any("Password reset" in note and "cannot be undone" in note for note in diff.notes)
