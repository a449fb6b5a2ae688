"""The level a ticket reaches and the state machine's guard (docs/design.md §4): AL1 = OTP or
questions, AL2 = both, AL3 = AL2 + document; passes on this ticket, valid 30 minutes;
dual confirmation of a new contact; security changes via a contact not being changed."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from profiledesk.policies.categories import AssuranceLevel as AL
from profiledesk.tickets.models import State
from profiledesk.tickets.services import ItemDraft
from profiledesk.tickets.states import TransitionError, allowed_moves
from tests.factories import document_upload
from verification.services import (
    VerificationError,
    document_check_record,
    identity_contacts,
    new_contacts,
    otp_check,
    otp_send,
    questions_check,
    verification_complete,
)
from verification.status import achieved_level, required_level, verification_missing

from .helpers import ALL_TICKED, email_key, new_email_item, open_ticket, phone_key

pytestmark = pytest.mark.django_db

ANSWER = "st marys"  # complete_customer's answer is "St Mary's"


def pass_otp(ticket, agent, sent, key):
    challenge = otp_send(ticket=ticket, staff=agent, contact_key=key)
    assert otp_check(ticket=ticket, staff=agent, challenge_id=challenge.pk, code=sent[-1].code)
    return challenge


def pass_questions(ticket, customer, agent):
    question = customer.security_questions.get()
    assert questions_check(ticket=ticket, staff=agent, answers={question.pk: ANSWER}).passed


def png() -> SimpleUploadedFile:
    return document_upload(name="passport.png")


def test_nothing_is_achieved_before_any_pass(ticket):
    assert achieved_level(ticket) == 0
    assert "AL2" in verification_missing(ticket)


def test_otp_alone_is_al1_and_with_questions_al2(ticket, customer, agent, sent):
    pass_otp(ticket, agent, sent, email_key(customer))
    assert achieved_level(ticket) == AL.AL1
    pass_questions(ticket, customer, agent)
    assert achieved_level(ticket) == AL.AL2
    assert verification_missing(ticket) is None


def test_questions_alone_are_al1(ticket, customer, agent):
    pass_questions(ticket, customer, agent)
    assert achieved_level(ticket) == AL.AL1


def test_the_guard_refuses_ready_below_the_level_and_allows_it_at_the_level(
    ticket, customer, agent, sent
):
    pass_questions(ticket, customer, agent)
    with pytest.raises(TransitionError, match="AL2"):
        verification_complete(ticket=ticket, by=agent)
    assert State.READY not in [m.target for m in allowed_moves(ticket, agent)]
    pass_otp(ticket, agent, sent, phone_key(customer))
    assert State.READY in [m.target for m in allowed_moves(ticket, agent)]
    verification_complete(ticket=ticket, by=agent)
    assert ticket.state == State.READY


def test_a_preferences_change_needs_only_al1(clock, customer, agent):
    ticket = open_ticket(
        customer,
        agent,
        category="preferences",
        items=[
            ItemDraft(
                section="preferences",
                field="preferences.marketing_email",
                label="Promotional e-mails",
                new_value="true",
                new_display="Yes",
            )
        ],
    )
    assert required_level(ticket) == AL.AL1
    pass_questions(ticket, customer, agent)
    verification_complete(ticket=ticket, by=agent)


def test_a_verification_is_valid_for_thirty_minutes(ticket, customer, agent, sent, clock):
    pass_otp(ticket, agent, sent, email_key(customer))
    pass_questions(ticket, customer, agent)
    clock.shift(dt.timedelta(minutes=30) - dt.timedelta(seconds=1))
    assert achieved_level(ticket) == AL.AL2
    clock.shift(dt.timedelta(seconds=1))
    assert achieved_level(ticket) == 0
    with pytest.raises(TransitionError, match="AL2"):
        verification_complete(ticket=ticket, by=agent)


def test_the_validity_follows_the_setting_changed_after_start(
    ticket, customer, agent, sent, clock, settings
):
    # Read when used, not frozen at import: a deployment's value is the one that holds.
    settings.VERIFICATION_VALID_MINUTES = 5
    pass_otp(ticket, agent, sent, email_key(customer))
    pass_questions(ticket, customer, agent)
    clock.shift(dt.timedelta(minutes=5) - dt.timedelta(seconds=1))
    assert achieved_level(ticket) == AL.AL2
    clock.shift(dt.timedelta(seconds=1))
    assert achieved_level(ticket) == 0


def test_passes_on_another_ticket_do_not_count(ticket, customer, agent, sent):
    pass_otp(ticket, agent, sent, email_key(customer))
    pass_questions(ticket, customer, agent)
    other = open_ticket(customer, agent)
    assert achieved_level(other) == 0


def _legal_name_ticket(customer, agent):
    return open_ticket(
        customer,
        agent,
        category="personal",
        items=[
            ItemDraft(
                section="personal",
                field="personaldetails.legal_name",
                label="Legal name",
                new_value="Grace B. Hopper",
                new_display="Grace B. Hopper",
            )
        ],
    )


def test_al3_needs_a_passed_document_check_on_top_of_al2(clock, customer, agent, sent):
    ticket = _legal_name_ticket(customer, agent)
    assert required_level(ticket) == AL.AL3
    pass_otp(ticket, agent, sent, email_key(customer))
    pass_questions(ticket, customer, agent)
    failed = document_check_record(
        ticket=ticket,
        staff=agent,
        upload=png(),
        document_type="passport",
        checklist={**ALL_TICKED, "not_expired": False},
    )
    assert failed.result == "failed"
    assert achieved_level(ticket) == AL.AL2
    document_check_record(
        ticket=ticket, staff=agent, upload=png(), document_type="passport", checklist=ALL_TICKED
    )
    assert achieved_level(ticket) == AL.AL3
    verification_complete(ticket=ticket, by=agent)


def test_a_document_alone_reaches_no_level(clock, customer, agent):
    ticket = _legal_name_ticket(customer, agent)
    document_check_record(
        ticket=ticket, staff=agent, upload=png(), document_type="passport", checklist=ALL_TICKED
    )
    assert achieved_level(ticket) == 0


# --- dual confirmation ---------------------------------------------------------------


@pytest.fixture
def email_change(clock, customer, agent):
    return open_ticket(customer, agent, items=[new_email_item("new.grace@example.com")])


def test_a_new_email_must_be_proven_before_ready(email_change, customer, agent, sent):
    pass_otp(email_change, agent, sent, email_key(customer))
    pass_questions(email_change, customer, agent)
    assert achieved_level(email_change) == AL.AL2
    with pytest.raises(TransitionError, match="new contact"):
        verification_complete(ticket=email_change, by=agent)

    [new] = new_contacts(email_change)
    assert new.purpose == "new_contact"
    pass_otp(email_change, agent, sent, new.key)
    assert sent[-1].to == "new.grace@example.com"
    assert verification_missing(email_change) is None
    verification_complete(ticket=email_change, by=agent)


def test_proving_the_new_contact_does_not_verify_the_caller(email_change, agent, sent):
    [new] = new_contacts(email_change)
    pass_otp(email_change, agent, sent, new.key)
    assert achieved_level(email_change) == 0


def test_editing_the_new_value_voids_its_proof(email_change, customer, agent, sent):
    pass_otp(email_change, agent, sent, email_key(customer))
    pass_questions(email_change, customer, agent)
    [new] = new_contacts(email_change)
    pass_otp(email_change, agent, sent, new.key)
    item = email_change.items.get(field="emailaddress.email")
    item.new_value = "other@example.com"
    item.save()
    assert "new contact" in verification_missing(email_change)


def test_the_new_value_is_never_offered_as_a_contact_on_file(email_change):
    offered = [c.key for c in identity_contacts(email_change)]
    assert all(not key.startswith("item:") for key in offered)


# --- security changes: via a contact not being changed ----------------------------------


def _security_ticket(customer, agent):
    return open_ticket(
        customer,
        agent,
        category="security",
        items=[
            ItemDraft(
                section="security",
                field="securitysettings.password_reset",
                label="Password reset",
                new_value="requested",
                new_display="requested",
            )
        ],
    )


def test_a_security_change_cannot_be_verified_through_a_contact_being_changed(
    clock, customer, agent, sent
):
    # Contacts on file for a while, so that none is within the cooling-off period.
    for model in (customer.emails, customer.phones):
        row = model.get()
        row.verified_at -= dt.timedelta(days=30)
        row.save()
    address = customer.emails.get()
    # An open contact ticket is replacing the e-mail address on file.
    open_ticket(
        customer,
        agent,
        items=[
            ItemDraft(
                section="contact",
                field="emailaddress.email",
                label="E-mail address",
                new_value="attacker@example.com",
                new_display="a•••@example.com",
                target_id=address.pk,
            )
        ],
    )
    security = _security_ticket(customer, agent)
    keys = [c.key for c in identity_contacts(security)]
    assert email_key(customer) not in keys and phone_key(customer) in keys
    with pytest.raises(VerificationError):
        otp_send(ticket=security, staff=agent, contact_key=email_key(customer))
    pass_otp(security, agent, sent, phone_key(customer))
    pass_questions(security, customer, agent)
    assert achieved_level(security) == AL.AL2


def test_contacts_that_came_with_the_customer_verify_a_security_change(clock, customer, agent):
    # complete_customer's contacts arrived with the customer (an import): not a change,
    # even though they were verified just now. Contacts changed within the cooling-off
    # period are withheld: tests/verification/test_cooling_off_destinations.py.
    security = _security_ticket(customer, agent)
    assert len(identity_contacts(security)) == 2
