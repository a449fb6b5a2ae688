"""Red team (issue 11): the identity document is the customer's details unmasked.

A photographed ID card shows the full name, birth date, national ID number and address:
the very details the floor sees masked until the caller is verified. The floor's view of
a document (`/verification/<reference>/document/<id>/`) must serve it to the people
working that ticket while it is open (its creator, assignee, the checker) and to
oversight (approvers, security), not to any agent of the client who learns its URL —
the fraudster's cooperative agent on the floor would read the victim's documents there.
"""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from profiledesk.tickets.models import State
from profiledesk.tickets.states import transition
from tests.conftest import make_staff, signed_in
from tests.factories import document_png, document_upload
from tests.verification.helpers import ALL_TICKED, open_ticket
from verification.services import document_check_record


@pytest.fixture
def documented(customer, personas):
    ticket = open_ticket(customer, personas["agent"])
    check = document_check_record(
        ticket=ticket,
        staff=personas["agent"],
        upload=document_upload(document_png(), "id.png"),
        document_type="passport",
        checklist=ALL_TICKED,
    )
    return ticket, reverse("verification:document", args=[ticket.reference, check.pk])


def _views():
    return AuditEvent.objects.filter(action="verification.document_viewed").count()


def test_another_agent_of_the_client_cannot_open_the_document(northwind, documented):
    _ticket, url = documented
    colleague = make_staff("agent2", "agent", northwind)
    response = signed_in(colleague).get(url)
    assert response.status_code == 403
    assert _views() == 0


def test_the_agent_working_it_and_oversight_can(personas, documented):
    _ticket, url = documented
    for who in ("agent", "supervisor"):
        assert signed_in(personas[who]).get(url).status_code == 200, who
    assert _views() == 2


def test_once_the_ticket_is_closed_the_floor_no_longer_opens_it(personas, documented):
    ticket, url = documented
    transition(ticket=ticket, to=State.CANCELLED, by=personas["agent"], reason="Hung up")
    assert signed_in(personas["agent"]).get(url).status_code == 403
    assert signed_in(personas["supervisor"]).get(url).status_code == 200
