"""The desk as a fraudster meets it (issue 11): changes captured by intake, the caller
verified through the wizard's services, submitted, decided and applied."""

import datetime as dt
import itertools

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from profiledesk.apply.services import ApplyError, ticket_apply
from profiledesk.approvals.rules import plan_for
from profiledesk.approvals.services import ApprovalError, approval_grant, approval_submit
from profiledesk.intake.capture import drafts_for
from profiledesk.tickets.models import State
from profiledesk.tickets.services import ticket_create
from profiledesk.tickets.states import transition
from tests.factories import complete_customer, document_png
from verification import services as verification
from verification.services import verification_complete

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


def a_customer(client):
    """A customer of long standing: their e-mail and phone verified 200 days ago."""
    with time_machine.travel(INSIDE - dt.timedelta(days=200), tick=False):
        return complete_customer(client, legal_name="Grace Hopper")


_photos = itertools.count(1)


def id_card_photo() -> SimpleUploadedFile:
    """A photographed identity card: a real 1200×800 picture over the check's 10 KB (not
    a 1×1 pixel), other bytes each time (one customer's document is not another's)."""
    content = document_png(seed=next(_photos), size=(1200, 800))
    return SimpleUploadedFile("id-card.png", content, content_type="image/png")


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

    def open(self, change: str):
        """Capture `change` from a phone call and start verifying the caller."""
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
        return ticket

    def open_and_verify(self, change: str, *, level: int = 2):
        """Capture `change`, verify the caller at `level` and mark it verified."""
        ticket = self.open(change)
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
        verification_complete(ticket=ticket, by=self.agent)
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
