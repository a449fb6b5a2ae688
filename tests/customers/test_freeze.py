"""Security freezes a profile and lifts the freeze, with a reason kept in the history and
the audit trail; the open tickets' risk shows it (profiledesk/customers/services.py)."""

import pytest
import time_machine
from django.urls import reverse

from audit.models import AuditEvent
from profiledesk.customers.services import FreezeError, customer_freeze, customer_unfreeze
from profiledesk.tickets.models import Ticket
from tests.approvals.helpers import WEDNESDAY, ready_ticket
from tests.conftest import signed_in


@pytest.fixture(autouse=True)
def clock():
    # Business hours: the tickets' SLA and the approval helpers' verification.
    with time_machine.travel(WEDNESDAY, tick=False):
        yield


def test_security_freezes_and_unfreezes_with_a_reason_in_history_and_audit(customer, personas):
    security = personas["security"]
    with pytest.raises(FreezeError, match="reason"):
        customer_freeze(customer=customer, by=security, reason="")
    customer_freeze(customer=customer, by=security, reason="Caller reported takeover")
    customer.refresh_from_db()
    assert customer.frozen_at is not None
    assert customer.frozen_reason == "Caller reported takeover"
    latest = customer.history.first()
    assert latest.history_user == security and "frozen" in latest.history_change_reason
    with pytest.raises(FreezeError, match="already frozen"):
        customer_freeze(customer=customer, by=security, reason="again")
    customer_unfreeze(customer=customer, by=security, reason="Customer confirmed in branch")
    customer.refresh_from_db()
    assert (customer.frozen_at, customer.frozen_reason) == (None, "")
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["customer.frozen", "customer.unfrozen"]


def test_a_freeze_reason_as_long_as_the_form_allows_fits_the_history(customer, personas):
    # Found by tests/browser/test_hostile_data_sweep.py: a 200-character reason made the
    # history's 100-character change reason overflow (a 500 on PostgreSQL).
    reason = "Caller could not answer; " + "x" * 175
    customer_freeze(customer=customer, by=personas["security"], reason=reason)
    customer.refresh_from_db()
    assert customer.frozen_reason == reason
    change_reason = customer.history.first().history_change_reason
    assert len(change_reason) <= 100 and change_reason.startswith("frozen: Caller could not")
    assert AuditEvent.objects.get(action="customer.frozen").data["reason"] == reason


@pytest.mark.parametrize("role", ["agent", "supervisor", "compliance"])
def test_only_security_freezes(customer, personas, role):
    with pytest.raises(FreezeError, match="security"):
        customer_freeze(customer=customer, by=personas[role], reason="suspicious")


def test_the_open_tickets_risk_shows_the_freeze_and_its_lifting(customer, personas):
    ticket = ready_ticket(customer, personas["agent"], category="billing")
    customer_freeze(customer=customer, by=personas["security"], reason="Takeover suspected")
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.risk_level == "critical"
    assert "customer_frozen" in {reason["rule"] for reason in ticket.risk_reasons}
    customer_unfreeze(customer=customer, by=personas["security"], reason="Cleared")
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert "customer_frozen" not in {reason["rule"] for reason in ticket.risk_reasons}


def test_the_desk_itself_may_freeze_but_never_unfreeze(customer, personas):
    # by=None is the customer's own "this wasn't me" report (profiledesk.confirmations).
    customer_freeze(customer=customer, by=None, reason="Reported by the customer")
    with pytest.raises(FreezeError, match="security"):
        customer_unfreeze(customer=customer, by=None, reason="Let me in")
    customer.refresh_from_db()
    assert customer.frozen_at is not None


def test_security_freezes_from_the_profile(customer, personas):
    profile = reverse("customers:profile", args=[customer.pk])
    assert "Freeze this profile" not in signed_in(personas["agent"]).get(profile).content.decode()
    http = signed_in(personas["security"])
    assert "Freeze this profile" in http.get(profile).content.decode()
    http.post(reverse("customers:freeze", args=[customer.pk]), {"reason": "Takeover reported"})
    customer.refresh_from_db()
    assert customer.frozen_reason == "Takeover reported"
    assert "Lift the freeze" in http.get(profile).content.decode()
