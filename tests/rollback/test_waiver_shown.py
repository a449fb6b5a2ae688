"""A rollback's verification waiver is its verification evidence: the ticket's panel
says no check is owed, and the history page and the audit view show who waived it and
why instead of "None recorded"."""

import re

import pytest
from django.urls import reverse

from profiledesk.rollback.services import rollback_open
from profiledesk.tickets.models import State
from profiledesk.tickets.states import transition
from tests.conftest import signed_in
from tests.factories import claimed
from verification.waivers import verification_waive

from .helpers import applied, through_the_floor

pytestmark = pytest.mark.usefixtures("clock")

REASON = "Customer reported a mistaken change by e-mail; not on the line."


@pytest.fixture
def rollback(customer, personas):
    original = applied(customer, personas, "personal", {"national_id": "AB123456C"})
    rollback = rollback_open(by=personas["compliance"], ticket=original, reason="Wrong customer")
    return claimed(rollback, personas["agent"])


def test_the_panel_says_a_waived_rollback_needs_no_check(rollback, personas):
    verification_waive(ticket=rollback, by=personas["compliance"], reason="Not on the line")
    transition(ticket=rollback, to=State.VERIFYING, by=personas["agent"])
    html = signed_in(personas["agent"]).get(f"/tickets/{rollback.reference}/").content.decode()
    assert 'data-testid="verification-waived-badge"' in html
    assert "No check is needed: mark it verified." in html


def test_an_unwaived_rollback_has_no_waived_badge(rollback, personas):
    html = signed_in(personas["agent"]).get(f"/tickets/{rollback.reference}/").content.decode()
    assert 'data-testid="verification-waived-badge"' not in html


@pytest.mark.parametrize("who", ["compliance", "supervisor"])
def test_the_history_page_shows_the_waiver_as_the_rollbacks_evidence(
    rollback, customer, personas, who
):
    through_the_floor(rollback, personas)
    html = (
        signed_in(personas[who])
        .get(reverse("audit:customer_history", args=[customer.pk]))
        .content.decode()
    )
    group = re.search(
        rf'data-reference="{rollback.reference}".*?</section>', html, flags=re.DOTALL
    ).group(0)
    assert 'data-testid="history-waiver"' in group and REASON in group
    assert "None recorded." not in group


def test_the_audit_view_shows_the_waiver_as_the_rollbacks_evidence(rollback, personas):
    through_the_floor(rollback, personas)
    url = reverse("audit:ticket_audit", args=[rollback.reference])
    html = signed_in(personas["compliance"]).get(url).content.decode()
    evidence = re.search(r'data-testid="attempts">.*?</ul>', html, flags=re.DOTALL).group(0)
    assert 'data-testid="trail-waiver"' in evidence and REASON in evidence
    assert "None recorded." not in evidence
