"""Two supervisors (or one double click) approving at once record one approval."""

import threading
import time

import pytest
from django.db import connection

from profiledesk.approvals import services
from profiledesk.approvals.models import Approval
from profiledesk.approvals.services import ApprovalError, approval_grant, approval_submit
from profiledesk.tickets.models import Ticket, TicketEvent

from .helpers import ready_ticket, second


def _race(monkeypatch, ticket, users) -> list[str]:
    original = services.makers_of

    def slow_makers(*args):
        time.sleep(0.3)  # hold the ticket's row lock while the other request arrives
        return original(*args)

    monkeypatch.setattr(services, "makers_of", slow_makers)
    barrier = threading.Barrier(len(users))
    outcomes: list[str] = []

    def press(user):
        barrier.wait()
        try:
            approval_grant(ticket=Ticket.objects.get(pk=ticket.pk), by=user)
            outcomes.append("approved")
        except ApprovalError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(user,)) for user in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_supervisors_approving_at_once_give_one_approval(monkeypatch, personas, customer):
    ticket = ready_ticket(customer, personas["agent"], category="billing")
    approval_submit(ticket=ticket, by=personas["agent"])
    other = second("supervisor", customer.client)
    assert _race(monkeypatch, ticket, [personas["supervisor"], other]) == ["approved", "refused"]
    assert Approval.objects.filter(ticket=ticket).count() == 1
    assert TicketEvent.objects.filter(ticket=ticket, to_state="approved").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_a_double_click_gives_one_approval(monkeypatch, personas, customer):
    ticket = ready_ticket(customer, personas["agent"], category="organisation")
    approval_submit(ticket=ticket, by=personas["agent"])
    supervisor = personas["supervisor"]
    assert _race(monkeypatch, ticket, [supervisor, supervisor]) == ["approved", "refused"]
    assert Approval.objects.filter(ticket=ticket).count() == 1
