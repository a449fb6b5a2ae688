"""Too many failures lock verification for the customer (DESIGN 4): 3 failed codes or 3
wrong rounds of questions on a ticket; 30 minutes; resends do not reset the count; the
ticket fails verification, its risk rises and an audit event is written."""

import datetime as dt

import pytest

from audit.models import AuditEvent
from profiledesk.tickets.models import State
from verification.models import Attempt, Lock
from verification.services import VerificationError, otp_check, otp_send, questions_check
from verification.status import achieved_level, verification_missing

from .helpers import email_key, open_ticket, phone_key

pytestmark = pytest.mark.django_db


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _fail_a_code(ticket, customer, agent, sent, key):
    challenge = otp_send(ticket=ticket, staff=agent, contact_key=key)
    return otp_check(
        ticket=ticket, staff=agent, challenge_id=challenge.pk, code=_wrong(sent[-1].code)
    )


def test_three_failed_codes_lock_the_customer_even_through_resends(
    ticket, customer, agent, sent, clock
):
    first = _fail_a_code(ticket, customer, agent, sent, email_key(customer))
    assert not first.locked
    clock.shift(dt.timedelta(seconds=60))
    # A fresh code (another contact, then the same one again) does not reset the count.
    assert not _fail_a_code(ticket, customer, agent, sent, phone_key(customer)).locked
    clock.shift(dt.timedelta(seconds=60))
    third = _fail_a_code(ticket, customer, agent, sent, email_key(customer))
    assert third.locked and "locked" in third.message

    lock = Lock.objects.get(customer=customer)
    assert lock.locked_until - lock.created_at == dt.timedelta(minutes=30)
    assert AuditEvent.objects.filter(action="verification.locked").count() == 1
    ticket.refresh_from_db()
    assert ticket.state == State.VERIFICATION_FAILED
    assert any(r["rule"] == "failed_verification" for r in ticket.risk_reasons)
    assert ticket.risk_score > 0


def test_a_locked_customer_gets_no_code_and_no_check_on_any_ticket(
    ticket, customer, agent, sent, clock
):
    for key in (email_key(customer), phone_key(customer)):
        _fail_a_code(ticket, customer, agent, sent, key)
    clock.shift(dt.timedelta(seconds=60))
    _fail_a_code(ticket, customer, agent, sent, email_key(customer))
    other = open_ticket(customer, agent)
    sent_before = len(sent)
    with pytest.raises(VerificationError, match="locked"):
        otp_send(ticket=other, staff=agent, contact_key=phone_key(customer))
    with pytest.raises(VerificationError, match="locked"):
        questions_check(ticket=other, staff=agent, answers={})
    assert len(sent) == sent_before


def _lock_by_questions(ticket, customer, agent):
    question = customer.security_questions.get()
    for _ in range(3):
        outcome = questions_check(ticket=ticket, staff=agent, answers={question.pk: "nope"})
    return outcome


def test_three_wrong_rounds_of_questions_lock_the_customer(ticket, customer, agent):
    outcome = _lock_by_questions(ticket, customer, agent)
    assert outcome.locked
    assert Attempt.objects.filter(method="questions", result="failed").count() == 3
    assert Lock.objects.filter(customer=customer).exists()


def test_the_lock_lasts_thirty_minutes(ticket, customer, agent, clock):
    question = customer.security_questions.get()
    _lock_by_questions(ticket, customer, agent)
    other = open_ticket(customer, agent)
    clock.shift(dt.timedelta(minutes=30) - dt.timedelta(seconds=1))
    with pytest.raises(VerificationError, match="locked"):
        questions_check(ticket=other, staff=agent, answers={question.pk: "St Mary's"})
    assert "locked" in verification_missing(other)
    clock.shift(dt.timedelta(seconds=1))
    assert questions_check(ticket=other, staff=agent, answers={question.pk: "St Mary's"}).passed
    assert achieved_level(other) == 1


def test_after_a_lock_the_count_starts_again(ticket, customer, agent, clock):
    question = customer.security_questions.get()
    _lock_by_questions(ticket, customer, agent)
    clock.shift(dt.timedelta(minutes=30))
    other = open_ticket(customer, agent)
    for _ in range(2):
        outcome = questions_check(ticket=other, staff=agent, answers={question.pk: "no"})
        assert not outcome.locked
    assert questions_check(ticket=other, staff=agent, answers={question.pk: "no"}).locked


def test_a_pass_made_before_the_lock_counts_for_nothing_while_locked(ticket, customer, agent, sent):
    challenge = otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
    otp_check(ticket=ticket, staff=agent, challenge_id=challenge.pk, code=sent[0].code)
    assert achieved_level(ticket) == 1
    _lock_by_questions(ticket, customer, agent)
    assert achieved_level(ticket) == 0
