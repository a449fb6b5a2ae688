"""Two straight-through tries of one ticket at once (two signals, two workers): one
apply, one "nothing to do" — the ticket's row lock, then the tries' constraints."""

import threading

import pytest
from django.db import connection

from audit.models import AuditEvent
from profiledesk.apply import services as apply_services
from profiledesk.automation.models import StraightThroughTry
from profiledesk.automation.services import straight_through_try
from profiledesk.tickets.models import Ticket

from .conftest import api_request, evidence, switch_on


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.parametrize("same_pass", [True, False], ids=["same pass", "two passes"])
def test_two_tries_at_once_apply_once(monkeypatch, api, customer, northwind, same_pass):
    # This test commits: keep outbox tasks off the shared broker (tested elsewhere).
    monkeypatch.setattr(apply_services, "_deliveries_create", lambda **kwargs: [])
    monkeypatch.setattr(apply_services, "_confirmations_create", lambda **kwargs: [])
    switch_on(northwind)
    ticket = api_request(api, customer)
    first = evidence(ticket)
    second = first if same_pass else evidence(ticket)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def work(attempt_id: int) -> None:
        barrier.wait()
        try:
            outcome = straight_through_try(ticket_id=ticket.pk, attempt_id=attempt_id)
            outcomes.append("none" if outcome is None else str(outcome.applied))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(a.pk,)) for a in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["True", "none"]
    assert Ticket.objects.get(pk=ticket.pk).state in ("applied", "closed")
    assert AuditEvent.objects.filter(action="ticket.applied").count() == 1
    assert AuditEvent.objects.filter(action="automation.applied").count() == 1
    assert StraightThroughTry.objects.filter(ticket=ticket).count() == 1
