"""Rollback under the sequences a desk produces: tickets that changed several rows,
later changes to the same rows, rollbacks of rollbacks, a frozen customer, a rollback
ticket that does not go through — each taken through the real services."""

import datetime as dt

import pytest
from django.utils import timezone

from profiledesk.apply.services import ApplyError
from profiledesk.customers import models as m
from profiledesk.customers.services import customer_freeze
from profiledesk.rollback.rules import reverse_of_ticket, reverse_of_version
from profiledesk.rollback.services import RollbackError, rollback_open
from profiledesk.tickets.models import State
from profiledesk.tickets.states import transition
from tests.factories import EmailAddressFactory, card_on_file, claimed
from verification.services import verification_complete

from .helpers import CARD, applied, through_the_floor

pytestmark = pytest.mark.usefixtures("clock")


def roll_back(ticket, personas, reason="Mistake"):
    rollback = rollback_open(by=personas["compliance"], ticket=ticket, reason=reason)
    return through_the_floor(rollback, personas)


def primaries(customer, model, flag="is_primary"):
    return list(
        model.objects.filter(customer=customer, **{flag: True}).values_list("pk", flat=True)
    )


def test_an_email_and_a_phone_changed_in_one_ticket_both_go_back(customer, personas, clock):
    email = customer.emails.get(is_primary=True)
    phone = customer.phones.get(is_primary=True)
    before = (email.email, phone.number)
    original = applied(
        customer,
        personas,
        "contact",
        {
            "email": "grace@navy.example",
            "email_target": email.pk,
            "phone": "+44 7700 900123",
            "phone_target": phone.pk,
        },
        clock,
    )
    email.refresh_from_db()
    phone.refresh_from_db()
    assert (email.email, phone.number) != before
    roll_back(original, personas)
    email.refresh_from_db()
    phone.refresh_from_db()
    assert (email.email, phone.number) == before
    original.refresh_from_db()
    assert original.state == State.ROLLED_BACK


def test_an_existing_email_made_primary_gives_the_primary_back(customer, personas, clock):
    old = customer.emails.get(is_primary=True)
    second = EmailAddressFactory(customer=customer, is_primary=False, email="work@old.example")
    original = applied(
        customer,
        personas,
        "contact",
        {"email": "work@new.example", "email_target": second.pk, "email_make_primary": True},
        clock,
    )
    assert primaries(customer, m.EmailAddress) == [second.pk]
    roll_back(original, personas)
    assert primaries(customer, m.EmailAddress) == [old.pk]
    second.refresh_from_db()
    assert second.email == "work@old.example"


def test_a_new_primary_phone_rolled_back_leaves_one_primary(customer, personas, clock):
    old = customer.phones.get(is_primary=True)
    original = applied(
        customer,
        personas,
        "contact",
        {"phone": "+44 7700 900456", "phone_make_primary": True},
        clock,
    )
    roll_back(original, personas)
    assert primaries(customer, m.PhoneNumber) == [old.pk]
    assert customer.phones.count() == 2  # the new one stays, as the note says


def test_an_address_changed_and_made_primary_goes_back(customer, personas, clock):
    home = customer.addresses.get(is_primary=True)
    other = m.PostalAddress.objects.create(
        customer=customer,
        kind="work",
        line1="1 Old Street",
        city="Leeds",
        postal_code="LS1 1AA",
        country="GB",
        is_primary=False,
    )
    original = applied(
        customer,
        personas,
        "contact",
        {
            "address_line1": "2 New Street",
            "address_target": other.pk,
            "address_make_primary": True,
        },
        clock,
    )
    assert primaries(customer, m.PostalAddress) == [other.pk]
    roll_back(original, personas)
    assert primaries(customer, m.PostalAddress) == [home.pk]
    other.refresh_from_db()
    assert other.line1 == "1 Old Street"


def test_a_new_default_card_rolled_back_gives_the_default_back(customer, personas, clock):
    old = card_on_file(customer, "4111111111111111", is_default=True)
    original = applied(customer, personas, "billing", {**CARD, "card_make_default": True}, clock)
    assert primaries(customer, m.PaymentCard, "is_default") != [old.pk]
    roll_back(original, personas)
    assert primaries(customer, m.PaymentCard, "is_default") == [old.pk]


def test_rolling_back_the_later_then_the_earlier_ends_where_it_began(customer, personas, clock):
    first = applied(customer, personas, "personal", {"preferred_name": "Amazing Grace"}, clock)
    second = applied(customer, personas, "personal", {"preferred_name": "Admiral"}, clock)
    roll_back(second, personas)
    customer.personal.refresh_from_db()
    assert customer.personal.preferred_name == "Amazing Grace"
    roll_back(first, personas)
    customer.personal.refresh_from_db()
    assert customer.personal.preferred_name == ""
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (State.ROLLED_BACK, State.ROLLED_BACK)


def test_a_rollback_can_itself_be_rolled_back(customer, personas, clock):
    original = applied(customer, personas, "personal", {"preferred_name": "Amazing Grace"}, clock)
    rollback = roll_back(original, personas)
    customer.personal.refresh_from_db()
    assert customer.personal.preferred_name == ""
    clock.shift(dt.timedelta(minutes=5))
    roll_back(rollback, personas, reason="The rollback was the mistake")
    customer.personal.refresh_from_db()
    assert customer.personal.preferred_name == "Amazing Grace"
    rollback.refresh_from_db()
    assert rollback.state == State.ROLLED_BACK


def test_two_rollbacks_of_the_same_row_applied_in_either_order(customer, personas, clock):
    legal = customer.personal.legal_name
    first = applied(customer, personas, "personal", {"preferred_name": "A"}, clock)
    second = applied(customer, personas, "personal", {"legal_name": "Grace B Hopper"}, clock)
    r2 = rollback_open(by=personas["compliance"], ticket=second, reason="x")
    r1 = rollback_open(by=personas["compliance"], ticket=first, reason="x")
    through_the_floor(r1, personas)
    through_the_floor(r2, personas)
    customer.personal.refresh_from_db()
    assert customer.personal.preferred_name == ""
    assert customer.personal.legal_name == legal


def test_a_frozen_customer_refuses_the_rollback_and_nothing_is_written(customer, personas, clock):
    original = applied(customer, personas, "personal", {"preferred_name": "Amazing Grace"}, clock)
    rollback = rollback_open(by=personas["compliance"], ticket=original, reason="Mistake")
    customer_freeze(customer=customer, by=personas["security"], reason="Takeover suspected")
    with pytest.raises((ApplyError, Exception), match="frozen"):
        through_the_floor(rollback, personas)
    customer.personal.refresh_from_db()
    assert customer.personal.preferred_name == "Amazing Grace"
    original.refresh_from_db()
    assert original.state == State.APPLIED


@pytest.mark.parametrize("end", [State.CANCELLED, State.REJECTED, State.ESCALATED])
def test_a_rollback_that_does_not_go_through_leaves_the_original(customer, personas, end):
    original = applied(customer, personas, "personal", {"preferred_name": "Amazing Grace"})
    rollback = rollback_open(by=personas["compliance"], ticket=original, reason="Mistake")
    claimed(rollback, personas["agent"])
    if end == State.CANCELLED:
        transition(ticket=rollback, to=State.CANCELLED, by=personas["agent"], reason="no")
    elif end == State.REJECTED:
        from profiledesk.approvals.services import approval_reject, approval_submit
        from verification.waivers import verification_waive

        transition(ticket=rollback, to=State.VERIFYING, by=personas["agent"])
        verification_waive(ticket=rollback, by=personas["compliance"], reason="not on line")
        verification_complete(ticket=rollback, by=personas["agent"])
        approval_submit(ticket=rollback, by=personas["agent"])
        approval_reject(ticket=rollback, by=personas["supervisor"], reason="No")
    else:
        transition(ticket=rollback, to=State.ESCALATED, by=personas["agent"], reason="odd")
    rollback.refresh_from_db()
    original.refresh_from_db()
    assert original.state == State.APPLIED
    if end == State.ESCALATED:
        with pytest.raises(RollbackError, match="already rolls this ticket back"):
            rollback_open(by=personas["compliance"], ticket=original, reason="again")
    else:
        again = rollback_open(by=personas["compliance"], ticket=original, reason="again")
        assert again.rollback_of_id == original.pk


def test_restoring_the_first_version_of_a_one_to_one_section(customer, personas, clock):
    prefs = customer.preferences
    applied(
        customer, personas, "preferences", {"marketing_email": True, "auto_renew": False}, clock
    )
    first = prefs.history.order_by("history_id").first()
    diff = reverse_of_version(first)
    fields = {i.field: i.new_value for i in diff.items}
    # Only the two fields that differ from the first version, nothing else.
    assert (first.marketing_email, first.auto_renew) == (False, True)
    assert fields == {"preferences.marketing_email": "false", "preferences.auto_renew": "true"}
    rollback = rollback_open(by=personas["compliance"], version=first, reason="Back to start")
    through_the_floor(rollback, personas)
    prefs.refresh_from_db()
    assert prefs.marketing_email == first.marketing_email
    assert prefs.auto_renew == first.auto_renew


def test_restoring_a_security_question_version_restores_the_hash(customer, personas, clock):
    question = customer.security_questions.get()
    earlier = question.answer_hash
    applied(
        customer, personas, "security", {"answer": "Grace", "question_target": question.pk}, clock
    )
    question.refresh_from_db()
    assert question.answer_hash != earlier
    version = question.history.order_by("history_id").first()
    [item] = reverse_of_version(version).items
    assert item.field == "securityquestion.answer_hash" and item.is_secret
    assert earlier not in item.new_display and earlier not in item.old_display
    rollback = rollback_open(by=personas["compliance"], version=version, reason="Back")
    through_the_floor(rollback, personas)
    question.refresh_from_db()
    assert question.answer_hash == earlier


def test_a_ticket_whose_row_was_unlinked_since(customer, personas, clock):
    account = m.LinkedAccount.objects.create(
        customer=customer,
        provider="google",
        external_id="g-123",
        linked_at=timezone.now(),
    )
    original = applied(customer, personas, "linked_accounts", {"unlink": [account.pk]}, clock)
    with pytest.raises(RollbackError, match="linking is the customer"):
        rollback_open(by=personas["compliance"], ticket=original, reason="x")
    diff = reverse_of_ticket(original)
    assert diff.items == []


def test_an_email_restored_by_a_rollback_is_as_verified_as_it_was(customer, personas, clock):
    # A takeover: the e-mail changed in place; the rollback gives the customer's own
    # address back, which she proved long ago: codes and security notices reach it again.
    email = customer.emails.get(is_primary=True)
    assert email.verified_at is not None
    verified = email.verified_at
    original = applied(
        customer,
        personas,
        "contact",
        {"email": "thief@evil.example", "email_target": email.pk},
        clock,
    )
    roll_back(original, personas)
    email.refresh_from_db()
    assert email.email != "thief@evil.example"
    assert email.verified_at == verified


def test_a_value_never_verified_is_not_verified_by_a_rollback(customer, personas, clock):
    second = EmailAddressFactory(
        customer=customer, is_primary=False, email="work@old.example", verified_at=None
    )
    original = applied(
        customer,
        personas,
        "contact",
        {"email": "work@new.example", "email_target": second.pk},
        clock,
    )
    roll_back(original, personas)
    second.refresh_from_db()
    assert (second.email, second.verified_at) == ("work@old.example", None)


def test_preferences_first_set_by_the_ticket_go_back_to_the_defaults(customer, personas, clock):
    # No preferences row yet: the ticket's consent to marketing created it.
    m.Preferences.objects.filter(customer=customer).delete()
    customer = m.Customer.objects.get(pk=customer.pk)
    original = applied(customer, personas, "preferences", {"marketing_email": True}, clock)
    prefs = m.Preferences.objects.get(customer=customer)
    assert prefs.marketing_email is True
    diff = reverse_of_ticket(original)
    assert [(i.field, i.new_value) for i in diff.items] == [
        ("preferences.marketing_email", "false")
    ]
    roll_back(original, personas, reason="Consent recorded by mistake")
    prefs.refresh_from_db()
    assert prefs.marketing_email is False
    original.refresh_from_db()
    assert original.state == State.ROLLED_BACK


def test_restoring_an_old_version_of_the_primary_email_keeps_a_primary(customer, personas, clock):
    second = EmailAddressFactory(customer=customer, is_primary=False, email="work@old.example")
    applied(
        customer,
        personas,
        "contact",
        {"email": "work@new.example", "email_target": second.pk, "email_make_primary": True},
        clock,
    )
    # The address as it was (not primary then): restoring it must not leave none primary.
    version = second.history.order_by("history_id").first()
    assert version.is_primary is False
    diff = reverse_of_version(version)
    assert [i.field for i in diff.items] == ["emailaddress.email"]
    assert any("primary" in note for note in diff.notes)
    rollback = rollback_open(by=personas["compliance"], version=version, reason="Old address")
    through_the_floor(rollback, personas)
    assert primaries(customer, m.EmailAddress) == [second.pk]
    second.refresh_from_db()
    assert second.email == "work@old.example"


def test_a_field_changed_back_since_is_not_said_to_be_restored(customer, personas, clock):
    legal = customer.personal.legal_name
    first = applied(
        customer,
        personas,
        "personal",
        {"preferred_name": "Amazing Grace", "legal_name": "Grace B Hopper"},
        clock,
    )
    fresh = m.Customer.objects.get(pk=customer.pk)
    applied(fresh, personas, "personal", {"legal_name": legal}, clock)
    diff = reverse_of_ticket(first)
    assert [i.field for i in diff.items] == ["personaldetails.preferred_name"]
    assert diff.changed_since == []  # nothing else is undone: the legal name is back already


def test_a_takeover_is_undone_without_waiting_out_the_cooling_off(customer, personas, clock):
    # The thief changed the card, then the e-mail. Compliance rolls back the e-mail, then
    # the card: neither rollback is held by the cooling-off of a contact change.
    email = customer.emails.get(is_primary=True)
    card = card_on_file(customer, "4111111111111111", is_default=True)
    earlier = card.vault_token
    by_card = applied(customer, personas, "billing", {**CARD, "card_target": card.pk}, clock)
    by_email = applied(
        customer,
        personas,
        "contact",
        {"email": "thief@evil.example", "email_target": email.pk},
        clock,
    )
    roll_back(by_email, personas, reason="Account takeover")
    roll_back(by_card, personas, reason="Account takeover")
    card.refresh_from_db()
    email.refresh_from_db()
    assert card.vault_token == earlier and email.email != "thief@evil.example"


def test_an_unwaived_rollback_still_waits_out_the_cooling_off(customer, personas, clock):
    from profiledesk.approvals.rules import cooling_off_problem

    card = card_on_file(customer, "4111111111111111", is_default=True)
    by_card = applied(customer, personas, "billing", {**CARD, "card_target": card.pk}, clock)
    applied(customer, personas, "contact", {"email": "new@example.com"}, clock)
    rollback = rollback_open(by=personas["compliance"], ticket=by_card, reason="Asked by phone")
    assert "wait until" in cooling_off_problem(rollback)


def test_the_panel_of_a_waived_rollback_shows_no_cooling_off(customer, personas, clock):
    from django.urls import reverse

    from tests.conftest import signed_in
    from verification.waivers import verification_waive

    card = card_on_file(customer, "4111111111111111", is_default=True)
    by_card = applied(customer, personas, "billing", {**CARD, "card_target": card.pk}, clock)
    applied(customer, personas, "contact", {"email": "new@example.com"}, clock)
    rollback = rollback_open(by=personas["compliance"], ticket=by_card, reason="Takeover")
    claimed(rollback, personas["agent"])
    transition(ticket=rollback, to=State.VERIFYING, by=personas["agent"])
    verification_waive(ticket=rollback, by=personas["compliance"], reason="Not on the line")
    verification_complete(ticket=rollback, by=personas["agent"])
    page = signed_in(personas["agent"]).get(reverse("tickets:detail", args=[rollback.reference]))
    assert page.status_code == 200
    assert 'data-testid="cooling-off"' not in page.content.decode()


def test_a_new_default_iban_rolled_back_gives_the_default_back(customer, personas, clock):
    old = customer.bank_accounts.get()
    old.is_default = True
    old.save()
    original = applied(
        customer,
        personas,
        "billing",
        {"iban": "DE89370400440532013000", "bank_make_default": True},
        clock,
    )
    assert primaries(customer, m.BankAccount, "is_default") != [old.pk]
    roll_back(original, personas)
    assert primaries(customer, m.BankAccount, "is_default") == [old.pk]
