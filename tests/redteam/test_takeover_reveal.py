"""Red team (issue 11): a fraudster who installed their own e-mail harvests the profile.

The e-mail change is step 1 of the takeover and goes through as usual. The fraudster
then calls for something small — a preferences change, AL1 — and the careless agent
sends its one code to the address the fraudster installed an hour ago. That code must
not count as verifying the caller for a reveal: "masked until verified" is there so that
an impostor cannot harvest the national ID, birth date and bank details from the agent.
"""

import pytest
import time_machine
from django.urls import reverse

from audit.models import AuditEvent
from profiledesk.intake.capture import drafts_for
from profiledesk.tickets.models import State
from profiledesk.tickets.services import ticket_create
from profiledesk.tickets.states import transition
from tests.approvals.desk import INSIDE, STEP, Desk, a_customer
from tests.conftest import signed_in
from verification import services as verification

REFUSAL = "Verify the caller on one of your tickets first"


def _preferences_ticket_verified_through(desk: Desk, key: str):
    customer = desk.customer
    ticket = ticket_create(
        client=customer.client,
        customer=customer,
        by=desk.agent,
        channel="phone",
        category="preferences",
        items=drafts_for(
            category="preferences", cleaned_data={"marketing_email": True}, customer=customer
        ),
    )
    transition(ticket=ticket, to=State.VERIFYING, by=desk.agent)
    challenge = verification.otp_send(ticket=ticket, staff=desk.agent, contact_key=key)
    code = desk.codes[-1]["context"]["code"]
    assert verification.otp_check(
        ticket=ticket, staff=desk.agent, challenge_id=challenge.pk, code=code
    ).passed
    return ticket


def test_a_code_to_the_email_installed_an_hour_ago_does_not_unmask_the_profile(
    northwind, personas, codes
):
    customer = a_customer(northwind)
    with time_machine.travel(INSIDE, tick=False) as clock:
        desk = Desk(customer, personas, codes, clock)
        email = desk.push("email")
        assert email.state == State.APPLIED
        installed = customer.emails.get(is_primary=True)
        assert installed.email.startswith("mallory")
        clock.shift(STEP)

        ticket = _preferences_ticket_verified_through(desk, f"email:{installed.pk}")
        # The wizard's own reveal of the change's values refuses too.
        with pytest.raises(verification.VerificationError, match="Verify the caller first"):
            verification.details_reveal(ticket=ticket, staff=desk.agent)
        client = signed_in(desk.agent)
        for kind, row, field, value in (
            ("personal", customer.personal, "national_id", customer.personal.national_id),
            ("personal", customer.personal, "date_of_birth", "-"),
            ("bank", customer.bank_accounts.get(), "iban_masked", "GB82"),
        ):
            response = client.post(
                reverse("customers:reveal", args=[customer.pk, kind, row.pk, field])
            )
            assert response.status_code == 403, (kind, field)
            assert REFUSAL in response.content.decode()
            if kind == "personal" and field == "national_id":
                assert value not in response.content.decode()
    assert not AuditEvent.objects.filter(action="customer.sensitive_revealed").exists()


def test_a_code_to_a_contact_of_long_standing_still_unmasks_it(northwind, personas, codes):
    """The same small change verified through the phone the customer has had for months:
    the agent may reveal (the defence above refuses the fraudster's address, not AL1)."""
    customer = a_customer(northwind)
    with time_machine.travel(INSIDE, tick=False) as clock:
        desk = Desk(customer, personas, codes, clock)
        _preferences_ticket_verified_through(desk, f"phone:{customer.phones.get().pk}")
        response = signed_in(desk.agent).post(
            reverse(
                "customers:reveal",
                args=[customer.pk, "personal", customer.personal.pk, "national_id"],
            )
        )
    assert response.status_code == 200


def test_a_ticket_sent_to_security_as_suspected_fraud_unmasks_nothing(northwind, personas, codes):
    """The agent's own "Suspected fraud" on a verified ticket: the caller it verified is
    the suspect, and the ticket is security's now."""
    customer = a_customer(northwind)
    with time_machine.travel(INSIDE, tick=False) as clock:
        desk = Desk(customer, personas, codes, clock)
        ticket = _preferences_ticket_verified_through(desk, f"phone:{customer.phones.get().pk}")
        transition(ticket=ticket, to=State.ESCALATED, by=desk.agent, reason="Voice changed")
        with pytest.raises(verification.VerificationError, match="stay masked in its state"):
            verification.details_reveal(ticket=ticket, staff=desk.agent)
        response = signed_in(desk.agent).post(
            reverse(
                "customers:reveal",
                args=[customer.pk, "personal", customer.personal.pk, "national_id"],
            )
        )
    assert response.status_code == 403
    assert REFUSAL in response.content.decode()
