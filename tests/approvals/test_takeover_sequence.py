"""The account-takeover sequence fails at the desk (issue 11, docs/design.md §5).

A fraudster with one careless agent tries "change the e-mail, reset the password, change
the card" (and the same in other orders, with a phone instead of the e-mail, a 2FA reset
instead of a password reset), inside and outside business hours. Everything here goes
through the real services: intake captures the change, the agent verifies through the
wizard's services (a code to a contact the sequence never changes, the security
questions, a real identity document for AL3), marks it verified, submits, approvers
decide, and the agent presses Apply.

What must hold: the first step goes through as usual; after an e-mail/phone change plus
a security or billing change within the window the risk is at least high (a named
reason, an extra approval tier) and the agent alone cannot apply it; after all three it
is critical: submitting sends it to security and nobody on the floor can apply it.
"""

import itertools

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from profiledesk.apply.services import ApplyError, ticket_apply
from profiledesk.approvals.rules import plan_for
from profiledesk.approvals.services import ApprovalError, approval_grant, approval_submit
from profiledesk.tickets.models import State
from profiledesk.tickets.states import TransitionError, allowed_moves
from tests.approvals.helpers import second
from verification.models import Method

from .desk import CHANGES, INSIDE, OUTSIDE, STEP, Desk, a_customer


def reasons(ticket) -> dict[str, int]:
    return {r["rule"]: r["points"] for r in ticket.risk_reasons}


def play(desk: Desk, changes: list[str]) -> list:
    """Play the steps in order; check after each what the desk must have done."""
    results = []
    seen: set[str] = set()
    for change in changes:
        ticket = desk.push(change)
        seen.add(CHANGES[change][0])
        results.append(ticket)
        if "contact" in seen and len(seen) == 3:
            # All three: critical, to security, applied by nobody on the floor.
            assert ticket.risk_level == "critical", ticket.risk_reasons
            assert ticket.state == State.ESCALATED
            assert reasons(ticket)["takeover_sequence"] == 80
            with pytest.raises((ApplyError, TransitionError)):
                ticket_apply(ticket=ticket, by=desk.agent)
            break
        if "contact" in seen and len(seen) == 2:
            # The pair: at least high (with a reason naming the steps), and never the
            # agent's decision alone: approved by others at the extra tier, or with
            # security when other reasons made it critical.
            assert ticket.risk_level in ("high", "critical"), ticket.risk_reasons
            assert reasons(ticket)["takeover_sequence"] == 50
            if ticket.state != State.ESCALATED:
                approval_round = ticket.approval_rounds.get()
                policy_tiers = plan_for(ticket).tiers - 1  # what it needs without the risk
                assert approval_round.tiers_needed > policy_tiers
                decided = {a.approver_id for a in ticket.approvals.all()}
                assert decided and desk.agent.pk not in decided
        else:
            assert "takeover_sequence" not in reasons(ticket)
    return results


# -- the issue's sequence, as it was played ------------------------------------------


@pytest.mark.parametrize("start", [INSIDE, OUTSIDE], ids=["business hours", "night"])
def test_the_issues_four_steps_are_stopped(start, northwind, personas, codes):
    customer = a_customer(northwind)
    with time_machine.travel(start, tick=False) as clock:
        desk = Desk(customer, personas, codes, clock)
        # 1. The e-mail change, verified (code, questions, a code to the new address).
        email = desk.push("email")
        assert email.state == State.APPLIED and email.risk_level in ("low", "medium")

        # 2. A password reset at AL2 in the cooling-off: refused.
        reset = desk.open_and_verify("password", level=2)
        assert reset.risk_level == ("high" if start == INSIDE else "critical")
        with pytest.raises(ApplyError, match="risk rose to"):
            ticket_apply(ticket=reset, by=desk.agent)
        if start == INSIDE:  # (at night, submitting it sends it to security)
            with pytest.raises(TransitionError, match="contact details were changed"):
                approval_submit(ticket=reset, by=desk.agent)
        clock.shift(STEP)

        # 3. The same at AL3, the document uploaded and ticked by the agent alone: the
        #    agent cannot apply it; it is high risk with every point named, and needs a
        #    supervisor (AL3 in the cooling-off) and compliance (high risk).
        #    At night, the hour's 10 points make it critical: it goes to security.
        reset = desk.open_and_verify("password", level=3)
        assert reasons(reset)["takeover_sequence"] == 50
        assert reasons(reset)["recent_contact_change"] == 25
        assert email.reference in next(
            r["reason"] for r in reset.risk_reasons if r["rule"] == "takeover_sequence"
        )
        if start == OUTSIDE:
            assert reasons(reset)["outside_business_hours"] == 10
        assert reset.risk_level == ("high" if start == INSIDE else "critical")
        plan = plan_for(reset)
        assert plan.tiers == 2
        assert any(
            f"during the cooling-off after {email.reference}" in reason for reason in plan.reasons
        )
        assert any("uploaded and checked by one person" in reason for reason in plan.reasons)
        with pytest.raises(ApplyError, match=f"risk rose to {reset.risk_level}"):
            ticket_apply(ticket=reset, by=desk.agent)
        approval_submit(ticket=reset, by=desk.agent)
        reset.refresh_from_db()
        if start == INSIDE:
            snapshot = reset.approval_rounds.get().verification
            assert snapshot["level"] == 3
            assert {m["method"] for m in snapshot["methods"]} == {
                Method.OTP,
                Method.QUESTIONS,
                Method.DOCUMENT,
            }
            with pytest.raises(ApprovalError):  # an agent approves at no tier
                approval_grant(ticket=reset, by=second("agent", northwind))
            approval_grant(ticket=reset, by=personas["supervisor"])
            approval_grant(ticket=reset, by=personas["compliance"])
            reset.refresh_from_db()
            ticket_apply(ticket=reset, by=desk.agent)
        else:
            assert reset.state == State.ESCALATED
            with pytest.raises((ApplyError, TransitionError)):
                ticket_apply(ticket=reset, by=desk.agent)
        clock.shift(STEP)

        # 4. The card change: critical, to security; nobody on the floor applies it.
        card = desk.open_and_verify("card", level=3)
        assert card.risk_level == "critical"
        assert reasons(card)["takeover_sequence"] == 80
        approval_submit(ticket=card, by=desk.agent)
        card.refresh_from_db()
        assert card.state == State.ESCALATED
        with pytest.raises((ApplyError, TransitionError)):
            ticket_apply(ticket=card, by=desk.agent)
    assert not customer.cards.filter(holder_name="MALLORY").exists()


# -- other orders and kinds ----------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        ["card", "email", "password"],
        ["phone", "2fa", "card"],
        ["2fa", "card", "phone"],
    ],
    ids=["card first", "phone and 2FA", "contact last"],
)
@pytest.mark.parametrize("start", [INSIDE, OUTSIDE], ids=["business hours", "night"])
def test_other_orders_are_stopped_too(changes, start, northwind, personas, codes):
    customer = a_customer(northwind)
    with time_machine.travel(start, tick=False) as clock:
        play(Desk(customer, personas, codes, clock), changes)
    # Whatever the order, the third step was never applied.
    assert not customer.cards.filter(holder_name="MALLORY").exists() or changes[-1] != "card"


ORDERS = [
    list(order)
    for contact, security in itertools.product(("email", "phone"), ("password", "2fa"))
    for order in itertools.permutations((contact, security, "card"))
]


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=st.sampled_from(ORDERS), night=st.booleans())
def test_any_order_of_the_three_steps_ends_in_security(changes, night, northwind, personas, codes):
    customer = a_customer(northwind)  # a fresh customer each example: nothing carries over
    with time_machine.travel(OUTSIDE if night else INSIDE, tick=False) as clock:
        tickets = play(Desk(customer, personas, codes, clock), changes)
    assert tickets[-1].state == State.ESCALATED


# -- a ticket that needed no approval cannot slip through ---------------------------


def test_a_ready_reset_made_before_the_email_change_is_re_scored_at_apply(
    northwind, personas, codes
):
    customer = a_customer(northwind)
    with time_machine.travel(INSIDE, tick=False) as clock:
        desk = Desk(customer, personas, codes, clock)
        reset = desk.open_and_verify("password", level=2)
        assert plan_for(reset).tiers == 0  # low risk, no approval: ready -> applied
        email = desk.push("email")  # the open reset + the e-mail: high, approved by another
        assert email.state == State.APPLIED
        assert "takeover_sequence" in reasons(email)
        with pytest.raises(ApplyError, match="risk rose to high: submit it for approval"):
            ticket_apply(ticket=reset, by=desk.agent)
        reset.refresh_from_db()
        assert reset.state == State.READY and reset.risk_level == "high"  # kept on the ticket
        # Verified at AL2 only, it is now in the e-mail's cooling-off: AL3 first.
        with pytest.raises(TransitionError, match="unless the caller is verified at AL3"):
            approval_submit(ticket=reset, by=desk.agent)
        assert State.VERIFYING in {m.target for m in allowed_moves(reset, desk.agent)}


def test_an_approved_card_change_is_re_scored_when_the_email_changes_meanwhile(
    northwind, personas, codes
):
    customer = a_customer(northwind)
    with time_machine.travel(INSIDE, tick=False) as clock:
        desk = Desk(customer, personas, codes, clock)
        card = desk.open_and_verify("card", level=2)
        approval_submit(ticket=card, by=desk.agent)
        approval_grant(ticket=card, by=personas["supervisor"])
        card.refresh_from_db()
        assert card.state == State.APPROVED
        desk.push("email")
        with pytest.raises(ApplyError, match="risk rose to high after it was approved"):
            ticket_apply(ticket=card, by=desk.agent)
        card.refresh_from_db()
        # The approval given at a lower risk is void: the ticket is back to be submitted.
        assert card.state == State.READY
        assert card.approvals.filter(voided_at__isnull=True).count() == 0
    assert not customer.cards.filter(holder_name="MALLORY").exists()
