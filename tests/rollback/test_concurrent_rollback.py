"""Two compliance officers pressing "Open the rollback ticket" at once: one rollback
ticket, one clear refusal (the original's row lock)."""

import threading
import time

import pytest
from django.db import connection

from profiledesk.apply import services as apply_services
from profiledesk.rollback import rules
from profiledesk.rollback.services import RollbackError, rollback_open
from profiledesk.tickets.models import Ticket
from tests.conftest import make_staff

from .helpers import applied


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_officers_at_once_open_one_rollback(monkeypatch, customer, personas, northwind):
    # This test commits: keep outbox tasks off the shared broker (tested elsewhere).
    monkeypatch.setattr(apply_services, "_deliveries_create", lambda **kwargs: [])
    monkeypatch.setattr(apply_services, "_confirmations_create", lambda **kwargs: [])
    original = applied(customer, personas, "personal", {"preferred_name": "Amazing Grace"})
    other = make_staff("compliance2", "compliance", northwind)
    reverse = rules.reverse_of_ticket

    def slow_reverse(ticket):
        time.sleep(0.3)  # hold the original's row lock while the other press arrives
        return reverse(ticket)

    monkeypatch.setattr(rules, "reverse_of_ticket", slow_reverse)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def press(user):
        barrier.wait()
        try:
            rollback_open(by=user, ticket=Ticket.objects.get(pk=original.pk), reason="Mistake")
            outcomes.append("opened")
        except RollbackError as error:
            outcomes.append("already" if "already rolls this ticket back" in str(error) else "?")
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(u,)) for u in (personas["compliance"], other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already", "opened"]
    assert Ticket.objects.filter(rollback_of=original).count() == 1
