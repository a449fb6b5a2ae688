"""An approval and an edit at once (PostgreSQL row locks): no approval ever stands on a
diff other than the ticket's items now."""

import threading
import time

import pytest
from django.db import connection

from profiledesk.approvals import services as approvals
from profiledesk.approvals.models import Approval
from profiledesk.approvals.rules import ticket_diff_hash
from profiledesk.approvals.services import ApprovalError, approval_grant, approval_submit
from profiledesk.editing import services as editing
from profiledesk.editing.services import EditError, edit_stamp
from profiledesk.tickets.models import State, Ticket

from .helpers import BILLING, captured, edit, to_ready

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def _race(ticket, agent, supervisor, stamp, *, late: str = "") -> dict[str, str]:
    """Approve and edit at once; `late` ("approval" or "edit") arrives 0.3 s after the other
    has taken the row lock (which the test holds 0.5–1 s)."""
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def approve():
        barrier.wait()
        if late == "approval":
            time.sleep(0.3)
        try:
            approval_grant(ticket=Ticket.objects.get(pk=ticket.pk), by=supervisor)
            outcomes["approval"] = "granted"
        except ApprovalError:
            outcomes["approval"] = "refused"
        finally:
            connection.close()

    def change():
        barrier.wait()
        if late == "edit":
            time.sleep(0.3)
        try:
            edit(
                Ticket.objects.get(pk=ticket.pk),
                agent,
                {**BILLING, "account_holder": "Mallory"},
                stamp=stamp,
            )
            outcomes["edit"] = "saved"
        except EditError:
            outcomes["edit"] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=approve), threading.Thread(target=change)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _no_approval_stands_on_another_diff(ticket) -> None:
    standing = Approval.objects.filter(ticket=ticket, voided_at__isnull=True)
    assert all(a.diff_hash == ticket_diff_hash(ticket) for a in standing)


@pytest.fixture
def pending(personas, customer):
    agent = personas["agent"]
    ticket = to_ready(captured(customer, agent, category="billing", data=BILLING), agent)
    approval_submit(ticket=ticket, by=agent)
    ticket.refresh_from_db()
    return ticket


def test_an_approval_arriving_during_an_edit_waits_and_is_refused(monkeypatch, personas, pending):
    original = editing.risk_refresh

    def slow_risk_refresh(**kwargs):
        time.sleep(1.0)  # the edit holds the ticket's row lock, its items written
        return original(**kwargs)

    monkeypatch.setattr(editing, "risk_refresh", slow_risk_refresh)
    stamp = edit_stamp(pending)
    outcomes = _race(pending, personas["agent"], personas["supervisor"], stamp, late="approval")
    assert outcomes == {"edit": "saved", "approval": "refused"}
    pending.refresh_from_db()
    assert pending.state == State.READY
    assert not Approval.objects.filter(ticket=pending, voided_at__isnull=True).exists()


def test_an_edit_arriving_during_an_approval_is_refused_as_stale(monkeypatch, personas, pending):
    original = approvals.makers_of

    def slow_makers(*args):
        time.sleep(0.5)  # the approval holds the ticket's row lock
        return original(*args)

    monkeypatch.setattr(approvals, "makers_of", slow_makers)
    stamp = edit_stamp(pending)
    outcomes = _race(pending, personas["agent"], personas["supervisor"], stamp, late="edit")
    # The approval made it approved: the editor's form was opened on a ticket pending
    # approval, so it is refused, and the approval stands on the diff it signed.
    assert outcomes == {"approval": "granted", "edit": "refused"}
    pending.refresh_from_db()
    assert pending.state == State.APPROVED
    assert pending.items.get(field="bankaccount.account_holder").new_value == "Grace Hopper"
    _no_approval_stands_on_another_diff(pending)


def test_whatever_the_order_no_approval_stands_on_an_edited_diff(personas, pending):
    _race(pending, personas["agent"], personas["supervisor"], edit_stamp(pending))
    pending.refresh_from_db()
    _no_approval_stands_on_another_diff(pending)
