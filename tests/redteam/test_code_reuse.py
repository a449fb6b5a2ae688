"""Red team (issue 11): a code proven on one ticket is entered on another.

The fraudster's new e-mail gets a code of its own on the contact change (dual
confirmation). The careless agent types that challenge's id and code into the password
reset's wizard (a crafted POST): a challenge belongs to its ticket, so nothing passes
and nothing is recorded on the reset.
"""

import time_machine
from django.urls import reverse

from tests.approvals.desk import INSIDE, Desk, a_customer
from tests.conftest import signed_in
from verification import services as verification
from verification.models import Attempt
from verification.status import achieved_level


def test_the_new_emails_code_from_the_contact_change_does_not_verify_the_reset(
    northwind, personas, codes
):
    customer = a_customer(northwind)
    with time_machine.travel(INSIDE, tick=False) as clock:
        desk = Desk(customer, personas, codes, clock)
        email = desk.open("email")
        reset = desk.open("password")
        (new,) = verification.new_contacts(email)
        challenge = verification.otp_send(ticket=email, staff=desk.agent, contact_key=new.key)
        code = codes[-1]["context"]["code"]
        response = signed_in(desk.agent).post(
            reverse("verification:otp_check", args=[reset.reference]),
            {"challenge": challenge.pk, "code": code},
            headers={"HX-Request": "true"},
        )
        assert "Send a code first" in response.content.decode()
        assert not Attempt.objects.filter(ticket=reset).exists()
        assert achieved_level(reset) == 0
        # The code is still good on its own ticket: it was not used up by the attempt.
        assert verification.otp_check(
            ticket=email, staff=desk.agent, challenge_id=challenge.pk, code=code
        ).passed
