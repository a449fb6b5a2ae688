"""The account-takeover sequence fails at the desk (issue 11, DESIGN 5).

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

import datetime as dt
import io
import itertools

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from profiledesk.apply.services import ApplyError, ticket_apply
from profiledesk.approvals.rules import plan_for
from profiledesk.approvals.services import ApprovalError, approval_grant, approval_submit
from profiledesk.intake.capture import drafts_for
from profiledesk.tickets.models import State
from profiledesk.tickets.services import ticket_create
from profiledesk.tickets.states import TransitionError, transition
from tests.approvals.helpers import second
from tests.factories import complete_customer
from verification import services as verification
from verification.models import Method

# A Wednesday morning in London (the desk is open) and a Saturday night (it is not).
INSIDE = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)
OUTSIDE = dt.datetime(2026, 3, 7, 3, 0, tzinfo=dt.UTC)
STEP = dt.timedelta(minutes=20)

# Each customer gets their own fraudster's address and phone (hypothesis plays many
# customers in one database: codes to one new address are rate-limited across them).
_FRAUDSTERS = itertools.count(100)
_FRAUDSTER_OF: dict[int, int] = {}


def _fraudster(customer) -> int:
    return _FRAUDSTER_OF.setdefault(customer.pk, next(_FRAUDSTERS))


CHANGES = {
    "email": (
        "contact",
        lambda c: {"email": f"mallory{_fraudster(c)}@evil.example", "email_target": _email(c)},
    ),
    "phone": (
        "contact",
        lambda c: {"phone": f"+44 7700 900{_fraudster(c)}", "phone_target": _phone(c)},
    ),
    "password": ("security", lambda c: {"password_reset": True}),
    "2fa": ("security", lambda c: {"two_factor_reset": True}),
    "card": (
        "billing",
        lambda c: {
            "card_number": "5555555555554444",
            "card_exp_month": 3,
            "card_exp_year": 2031,
            "card_holder_name": "MALLORY",
        },
    ),
}


def _email(customer) -> int:
    return customer.emails.get(is_primary=True).pk


def _phone(customer) -> int:
    return customer.phones.get(is_primary=True).pk


@pytest.fixture
def codes(monkeypatch):
    """The codes the customer would read out: every message verification queues."""
    from profiledesk.messaging.services import message_queue

    sent: list[dict] = []

    def recording(**kwargs):
        sent.append(kwargs)
        return message_queue(**kwargs)

    monkeypatch.setattr(verification, "_message_queue", lambda: recording)
    return sent


def a_customer(client):
    """A customer of long standing: their e-mail and phone verified 200 days ago."""
    with time_machine.travel(INSIDE - dt.timedelta(days=200), tick=False):
        return complete_customer(client, legal_name="Grace Hopper")


def id_card_photo() -> SimpleUploadedFile:
    """A photographed identity card: a real 1200×800 PNG (not a 1×1 pixel)."""
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 800), (200, 190, 170)).save(buffer, format="PNG")
    return SimpleUploadedFile("id-card.png", buffer.getvalue(), content_type="image/png")


class Desk:
    """The floor as the fraudster meets it: one careless agent who verifies and presses
    every button, and the people a second decision needs."""

    def __init__(self, customer, personas, codes, clock):
        self.customer = customer
        self.agent = personas["agent"]
        self.deciders = {1: personas["supervisor"], 2: personas["compliance"]}
        self.codes = codes
        self.clock = clock
        self.changed: set[str] = set()  # "email" / "phone": not a destination for codes

    def _code(self, ticket, key: str) -> None:
        challenge = verification.otp_send(ticket=ticket, staff=self.agent, contact_key=key)
        code = self.codes[-1]["context"]["code"]
        outcome = verification.otp_check(
            ticket=ticket, staff=self.agent, challenge_id=challenge.pk, code=code
        )
        assert outcome.passed, outcome.message

    def open_and_verify(self, change: str, *, level: int = 2):
        """Capture `change`, verify the caller at `level` and mark it verified."""
        category, data = CHANGES[change]
        ticket = ticket_create(
            client=self.customer.client,
            customer=self.customer,
            by=self.agent,
            channel="phone",
            category=category,
            items=drafts_for(
                category=category, cleaned_data=data(self.customer), customer=self.customer
            ),
        )
        transition(ticket=ticket, to=State.VERIFYING, by=self.agent)
        # The identity code goes to a contact the sequence has not changed: the old phone,
        # or the old e-mail when the phone was the one changed.
        old = "email" if "phone" in self.changed or change == "phone" else "phone"
        self._code(ticket, f"{old}:{(_email if old == 'email' else _phone)(self.customer)}")
        outcome = verification.questions_check(
            ticket=ticket,
            staff=self.agent,
            answers={q.pk: "St Mary's" for q in self.customer.security_questions.all()},
        )
        assert outcome.passed
        if level >= 3:
            verification.document_check_record(
                ticket=ticket,
                staff=self.agent,
                upload=id_card_photo(),
                document_type="id_card",
                checklist=dict.fromkeys(verification.CHECKLIST, True),
            )
        for contact in verification.new_contacts(ticket):  # dual confirmation
            self._code(ticket, contact.key)
        transition(ticket=ticket, to=State.READY, by=self.agent)
        ticket.refresh_from_db()
        self.clock.shift(dt.timedelta(minutes=1))  # codes to one contact: 60 s apart
        return ticket

    def push(self, change: str):
        """What the careless agent does: verify (AL3 when a cooling-off asks for it), apply
        if the desk lets them alone, else submit and have each tier approved by someone
        else, then apply. Returns the ticket as it ends."""
        ticket = self.open_and_verify(change, level=3)
        if plan_for(ticket).tiers == 0:
            ticket_apply(ticket=ticket, by=self.agent)
        else:
            with pytest.raises(ApplyError):  # not by the agent alone
                ticket_apply(ticket=ticket, by=self.agent)
            approval_submit(ticket=ticket, by=self.agent)
            while ticket.state == State.PENDING_APPROVAL:
                tier = ticket.approval_rounds.get(status="open").current_tier
                with pytest.raises(ApprovalError):  # the maker cannot be the checker
                    approval_grant(ticket=ticket, by=self.agent)
                approval_grant(ticket=ticket, by=self.deciders[tier])
            if ticket.state == State.APPROVED:
                ticket_apply(ticket=ticket, by=self.agent)
        ticket.refresh_from_db()
        if change in ("email", "phone") and ticket.state == State.APPLIED:
            self.changed.add(change)
        self.clock.shift(STEP)
        return ticket


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
