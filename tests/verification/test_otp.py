"""One-time codes (docs/design.md §4): 6 digits, 10 minutes, single use, 5 wrong tries a code,
3 codes a contact an hour, 60 s between codes, only to verified contacts on file."""

import datetime as dt

import pytest

from profiledesk.customers.models import EmailAddress
from profiledesk.messaging.models import Message
from verification.models import Attempt, OtpChallenge
from verification.services import VerificationError, code_matches, otp_check, otp_send

from .helpers import email_key, new_email_item, open_ticket, phone_key

pytestmark = pytest.mark.django_db


def test_a_code_is_six_digits_sent_by_email_to_the_verified_address_on_file(
    ticket, customer, agent, sent
):
    challenge = otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))

    [message] = sent
    assert message.channel == "email"
    assert message.to == customer.emails.get().email
    assert len(message.code) == 6 and message.code.isdigit()
    assert message.kwargs["template"] == "otp"
    assert message.kwargs["secret_keys"] == ("code",)
    assert message.code not in challenge.code_hash
    assert code_matches(message.code, challenge.code_hash)
    assert Message.objects.get().recipient == message.to


def test_a_code_goes_by_sms_to_the_verified_phone_on_file(ticket, customer, agent, sent):
    otp_send(ticket=ticket, staff=agent, contact_key=phone_key(customer))
    assert (sent[0].channel, sent[0].to) == ("sms", customer.phones.get().number)


def test_no_code_goes_to_an_unverified_contact(ticket, customer, agent, sent):
    row = customer.emails.get()
    row.verified_at = None
    row.save()
    with pytest.raises(VerificationError, match="verified contact on file"):
        otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
    assert sent == []


def test_no_code_goes_to_a_contact_of_another_customer(ticket, agent, sent, northwind):
    from tests.factories import complete_customer

    other = complete_customer(northwind)
    with pytest.raises(VerificationError, match="verified contact on file"):
        otp_send(ticket=ticket, staff=agent, contact_key=email_key(other))
    assert sent == []


def test_no_identity_code_goes_to_the_value_being_requested(clock, customer, agent, sent):
    # The requested address is already on the profile (unverified-by-the-desk secondary):
    # it cannot prove who is calling.
    on_file = EmailAddress.objects.create(
        customer=customer, email="second@example.com", verified_at=dt.datetime.now(dt.UTC)
    )
    ticket = open_ticket(customer, agent, items=[new_email_item("second@example.com")])
    with pytest.raises(VerificationError):
        otp_send(ticket=ticket, staff=agent, contact_key=f"email:{on_file.pk}")


def test_the_right_code_passes_once(ticket, customer, agent, sent):
    challenge = otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
    outcome = otp_check(ticket=ticket, staff=agent, challenge_id=challenge.pk, code=sent[0].code)
    assert outcome.passed
    with pytest.raises(VerificationError, match="used already"):
        otp_check(ticket=ticket, staff=agent, challenge_id=challenge.pk, code=sent[0].code)
    assert Attempt.objects.filter(result="passed", method="otp").count() == 1


def test_a_code_is_valid_until_just_before_ten_minutes(ticket, customer, agent, sent, clock):
    challenge = otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
    clock.shift(dt.timedelta(minutes=10) - dt.timedelta(seconds=1))
    assert otp_check(ticket=ticket, staff=agent, challenge_id=challenge.pk, code=sent[0].code)


def test_a_code_expires_at_ten_minutes(ticket, customer, agent, sent, clock):
    challenge = otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
    clock.shift(dt.timedelta(minutes=10))
    with pytest.raises(VerificationError, match="expired"):
        otp_check(ticket=ticket, staff=agent, challenge_id=challenge.pk, code=sent[0].code)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_code_takes_at_most_five_wrong_tries(ticket, customer, agent, sent, settings):
    # With the lock-out out of the way, the per-code limit shows on its own.
    settings.VERIFICATION_LOCK_AFTER_FAILURES = 100
    challenge = otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
    wrong = _wrong(sent[0].code)
    for tries_left in (4, 3, 2, 1):
        outcome = otp_check(ticket=ticket, staff=agent, challenge_id=challenge.pk, code=wrong)
        assert not outcome.passed and f"{tries_left} more" in outcome.message
    outcome = otp_check(ticket=ticket, staff=agent, challenge_id=challenge.pk, code=wrong)
    assert "cannot be tried again" in outcome.message
    with pytest.raises(VerificationError, match="Too many wrong tries"):
        otp_check(ticket=ticket, staff=agent, challenge_id=challenge.pk, code=sent[0].code)


def test_a_new_code_waits_sixty_seconds(ticket, customer, agent, sent, clock):
    otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
    clock.shift(dt.timedelta(seconds=59))
    with pytest.raises(VerificationError, match="Wait 1 s"):
        otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
    clock.shift(dt.timedelta(seconds=1))
    otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
    assert len(sent) == 2


def test_another_contact_is_not_held_by_the_sixty_seconds(ticket, customer, agent, sent):
    otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
    otp_send(ticket=ticket, staff=agent, contact_key=phone_key(customer))
    assert len(sent) == 2


def test_three_codes_a_contact_an_hour(ticket, customer, agent, sent, clock):
    for _ in range(3):
        otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
        clock.shift(dt.timedelta(minutes=5))
    with pytest.raises(VerificationError, match="Three codes"):
        otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
    # The first went at START: an hour later, one more may go.
    clock.shift(dt.timedelta(minutes=45) - dt.timedelta(seconds=1))
    with pytest.raises(VerificationError, match="Three codes"):
        otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
    clock.shift(dt.timedelta(seconds=1))
    otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
    assert len(sent) == 4


def test_the_hourly_limit_holds_across_tickets_of_the_customer(
    ticket, customer, agent, sent, clock
):
    other = open_ticket(customer, agent)
    for current in (ticket, other, ticket):
        otp_send(ticket=current, staff=agent, contact_key=email_key(customer))
        clock.shift(dt.timedelta(minutes=2))
    with pytest.raises(VerificationError, match="Three codes"):
        otp_send(ticket=other, staff=agent, contact_key=email_key(customer))


def test_only_the_newest_code_of_a_contact_counts(ticket, customer, agent, sent, clock):
    first = otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
    clock.shift(dt.timedelta(seconds=60))
    otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
    with pytest.raises(VerificationError, match="newer code"):
        otp_check(ticket=ticket, staff=agent, challenge_id=first.pk, code=sent[0].code)


def test_a_ticket_not_being_verified_sends_nothing(clock, customer, agent, sent):
    ticket = open_ticket(customer, agent, verifying=False)
    with pytest.raises(VerificationError, match="Start verification"):
        otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
    assert sent == [] and not OtpChallenge.objects.exists()


def test_a_code_is_stored_only_as_a_salted_hash(ticket, customer, agent, sent, clock):
    first = otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
    clock.shift(dt.timedelta(seconds=60))
    second = otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
    assert first.code_hash != second.code_hash
    for challenge, message in ((first, sent[0]), (second, sent[1])):
        assert message.code not in challenge.code_hash


def test_sending_pauses_the_sla_clock_and_checking_resumes_it(ticket, customer, agent, sent):
    challenge = otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
    ticket.refresh_from_db()
    assert ticket.sla_paused_at is not None
    otp_check(ticket=ticket, staff=agent, challenge_id=challenge.pk, code=sent[0].code)
    ticket.refresh_from_db()
    assert ticket.sla_paused_at is None
