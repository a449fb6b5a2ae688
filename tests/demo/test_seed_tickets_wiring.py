"""`seed_demo --tickets N`: a queue to look at from the first `make run`, no duplicates."""

import pytest

from profiledesk.tickets.models import State, Ticket

pytestmark = pytest.mark.django_db


def test_seed_demo_fills_the_queue_with_tickets_in_many_states(seed):
    seed(customers=20, tickets=60)
    assert Ticket.objects.count() == 60
    states = set(Ticket.objects.values_list("state", flat=True))
    assert {State.NEW, State.VERIFYING, State.CLOSED} <= states
    assert all(t.items.exists() for t in Ticket.objects.all()[:10])


def test_running_seed_demo_again_adds_no_tickets(seed):
    seed(customers=20, tickets=40)
    seed(customers=20, tickets=40)
    assert Ticket.objects.count() == 40


def test_no_tickets_without_customers(seed):
    seed(customers=0, tickets=40)
    assert not Ticket.objects.exists()
