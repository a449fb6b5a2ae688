"""Red team (issue 14, claims): the agent a supervisor took a ticket off keeps unmasking.

Agent A captures and verifies a caller; a supervisor, uneasy about A, takes the ticket
over. A no longer works it (`ticket.assignee` is the supervisor), yet A's authorship of
the ticket still counted as "working it" for the three ways to the customer's details in
clear: the profile's Reveal (the ticket as its basis), the wizard's reveal of the change's
values and the identity document's picture. Working a ticket is holding its claim.
"""

import pytest
import time_machine
from django.urls import reverse

from audit.models import AuditEvent
from profiledesk.tickets.services import ticket_take_over
from tests.approvals.desk import INSIDE, Desk, a_customer
from tests.conftest import signed_in
from verification import services as verification
from verification.models import DocumentCheck


@pytest.fixture
def taken_off(northwind, personas, codes):
    """An AL3-verified card ticket of agent A, taken over by the supervisor."""
    customer = a_customer(northwind)
    with time_machine.travel(INSIDE, tick=False) as clock:
        desk = Desk(customer, personas, codes, clock)
        ticket = desk.open_and_verify("card", level=3)
        # Before: A works it and may reveal (the defence is not refusing everyone).
        assert verification.details_reveal_refusal(ticket=ticket, staff=desk.agent) is None
        ticket_take_over(ticket=ticket, by=personas["supervisor"], reason="Second opinion")
        ticket.refresh_from_db()
        yield desk.agent, customer, ticket


def test_the_wizard_does_not_reveal_to_the_agent_taken_off(taken_off):
    agent, _customer, ticket = taken_off
    assert verification.details_reveal_refusal(ticket=ticket, staff=agent)
    with pytest.raises(verification.VerificationError):
        verification.details_reveal(ticket=ticket, staff=agent)
    signed_in(agent).post(reverse("verification:reveal", args=[ticket.reference]))
    assert not AuditEvent.objects.filter(action="verification.details_revealed").exists()


def test_the_profile_does_not_reveal_with_a_ticket_taken_off_as_basis(taken_off):
    agent, customer, _ticket = taken_off
    response = signed_in(agent).post(
        reverse(
            "customers:reveal", args=[customer.pk, "personal", customer.personal.pk, "national_id"]
        )
    )
    assert response.status_code == 403
    assert customer.personal.national_id not in response.content.decode()
    assert not AuditEvent.objects.filter(action="customer.sensitive_revealed").exists()


def test_the_identity_document_is_not_shown_to_the_agent_taken_off(taken_off):
    agent, _customer, ticket = taken_off
    check = DocumentCheck.objects.get(ticket=ticket)
    response = signed_in(agent).get(
        reverse("verification:document", args=[ticket.reference, check.pk])
    )
    assert response.status_code == 403
