"""verification_waive: only compliance, only a rollback ticket, only before it is
verified; a standing waiver is what lets the floor mark a rollback verified."""

import pytest

from audit.models import AuditEvent
from profiledesk.approvals.rules import plan_for
from profiledesk.rollback.services import rollback_open
from profiledesk.tickets.models import State
from profiledesk.tickets.states import TransitionError, transition
from tests.apply.helpers import ready
from tests.factories import claimed
from verification.models import Waiver
from verification.services import verification_complete
from verification.status import verification_missing
from verification.waivers import WaiverError, verification_waive

from .helpers import applied

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def rollback(customer, personas):
    original = applied(customer, personas, "personal", {"preferred_name": "Amazing Grace"})
    ticket = rollback_open(by=personas["compliance"], ticket=original, reason="Not asked for")
    claimed(ticket, personas["agent"])
    transition(ticket=ticket, to=State.VERIFYING, by=personas["agent"])
    return ticket


def test_without_a_waiver_a_rollback_is_verified_like_any_ticket(rollback, personas):
    assert "has not reached AL2" in verification_missing(rollback)
    with pytest.raises(TransitionError):
        verification_complete(ticket=rollback, by=personas["agent"])


def test_a_compliance_waiver_lets_the_floor_mark_it_verified(rollback, personas):
    waiver = verification_waive(
        ticket=rollback, by=personas["compliance"], reason="Not on the line"
    )
    assert (waiver.by, waiver.reason) == (personas["compliance"], "Not on the line")
    assert verification_missing(rollback) is None
    verification_complete(ticket=rollback, by=personas["agent"])
    event = AuditEvent.objects.get(action="verification.waived")
    assert event.data == {"reference": rollback.reference}  # the reason stays on the ticket
    assert rollback.events.filter(message__contains="Verification waived: Not on the line")


@pytest.mark.parametrize("who", ["agent", "supervisor", "security"])
def test_only_compliance_waives(rollback, personas, who):
    with pytest.raises(WaiverError, match="Only compliance"):
        verification_waive(ticket=rollback, by=personas[who], reason="x")
    assert not Waiver.objects.exists()


def test_an_ordinary_ticket_cannot_be_waived(customer, personas):
    ticket = ready(customer, personas["agent"], "personal", {"preferred_name": "G"})
    with pytest.raises(WaiverError, match="only for a rollback ticket"):
        verification_waive(ticket=ticket, by=personas["compliance"], reason="x")


def test_a_waiver_needs_a_reason_and_comes_before_verification(rollback, personas):
    with pytest.raises(WaiverError, match="Give the reason"):
        verification_waive(ticket=rollback, by=personas["compliance"], reason=" ")
    verification_waive(ticket=rollback, by=personas["compliance"], reason="Not on the line")
    with pytest.raises(WaiverError, match="already waived"):
        verification_waive(ticket=rollback, by=personas["compliance"], reason="again")
    verification_complete(ticket=rollback, by=personas["agent"])
    Waiver.objects.all().delete()
    with pytest.raises(WaiverError, match="before the ticket is verified"):
        verification_waive(ticket=rollback, by=personas["compliance"], reason="late")


def test_a_waiver_by_someone_who_left_compliance_no_longer_counts(rollback, personas):
    officer = personas["compliance"]
    verification_waive(ticket=rollback, by=officer, reason="Not on the line")
    officer.groups.clear()
    officer = type(officer).objects.get(pk=officer.pk)  # a fresh permission cache
    assert verification_missing(rollback) is not None


def test_a_waiver_by_someone_who_no_longer_serves_the_client_no_longer_counts(rollback, personas):
    officer = personas["compliance"]
    verification_waive(ticket=rollback, by=officer, reason="Not on the line")
    assert verification_missing(rollback) is None
    officer.memberships.all().delete()
    assert verification_missing(rollback) is not None


def test_a_waived_rollback_needs_an_approval_even_where_the_policy_needs_none(rollback, personas):
    # Nobody heard the customer: a second person checks what compliance asked for.
    assert plan_for(rollback).tiers == 0
    verification_waive(ticket=rollback, by=personas["compliance"], reason="Customer unreachable")
    plan = plan_for(rollback)
    assert plan.tiers == 1
    assert "verification was waived" in plan.reasons
