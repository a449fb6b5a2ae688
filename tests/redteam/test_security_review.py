"""Red team (issue 11): a review by security of a harmless ticket does not clear the
takeover that came afterwards.

The careless agent sends the card change to security as "Suspected fraud" while it is
still harmless; security sees a plain card change and returns it to the flow. Then the
fraudster changes the e-mail and resets the password. When the card change comes back,
its score is critical (the full sequence): it must go to security again, and nobody
may apply it on approvals alone — security never saw what it is now.
"""

import datetime as dt

import pytest
import time_machine

from profiledesk.apply.services import ApplyError, ticket_apply
from profiledesk.approvals.services import approval_submit
from profiledesk.tickets.models import State
from profiledesk.tickets.states import TransitionError, transition
from tests.approvals.desk import INSIDE, Desk, a_customer, id_card_photo
from verification import services as verification


def _verify_again(desk: Desk, ticket) -> None:
    """The card ticket verified at AL3 through the phone (the e-mail was just changed)."""
    key = f"phone:{desk.customer.phones.get(is_primary=True).pk}"
    challenge = verification.otp_send(ticket=ticket, staff=desk.agent, contact_key=key)
    code = desk.codes[-1]["context"]["code"]
    assert verification.otp_check(
        ticket=ticket, staff=desk.agent, challenge_id=challenge.pk, code=code
    ).passed
    assert verification.questions_check(
        ticket=ticket,
        staff=desk.agent,
        answers={q.pk: "St Mary's" for q in desk.customer.security_questions.all()},
    ).passed
    verification.document_check_record(
        ticket=ticket,
        staff=desk.agent,
        upload=id_card_photo(),
        document_type="id_card",
        checklist=dict.fromkeys(verification.CHECKLIST, True),
    )
    verification.verification_complete(ticket=ticket, by=desk.agent)
    ticket.refresh_from_db()


def test_a_card_change_security_cleared_before_the_takeover_goes_back_to_security(
    northwind, personas, codes
):
    customer = a_customer(northwind)
    with time_machine.travel(INSIDE, tick=False) as clock:
        desk = Desk(customer, personas, codes, clock)
        card = desk.open_and_verify("card", level=2)
        assert card.risk_level == "low"
        transition(ticket=card, to=State.ESCALATED, by=desk.agent, reason="Caller hesitated")
        transition(
            ticket=card, to=State.VERIFYING, by=personas["security"], reason="A plain card change"
        )

        assert desk.push("email").state == State.APPLIED
        assert desk.push("password").state == State.APPLIED
        clock.shift(dt.timedelta(hours=1))  # codes to the phone: three an hour

        _verify_again(desk, card)
        approval_submit(ticket=card, by=desk.agent)  # the score is re-assessed: critical
        card.refresh_from_db()
        assert card.risk_level == "critical", card.risk_reasons
        assert card.state == State.ESCALATED
        with pytest.raises((ApplyError, TransitionError)):
            ticket_apply(ticket=card, by=desk.agent)
    assert not customer.cards.filter(holder_name="MALLORY").exists()
