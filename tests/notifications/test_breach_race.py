"""Two beats at once (PostgreSQL: two connections, both past the "already told?" check
before either inserts) still make one notification per breach: the unique constraint."""

import threading

import pytest
from django.db import connection, connections

from profiledesk.notifications import services
from profiledesk.notifications.models import Notification
from tests.factories import TicketFactory

from .helpers import breached

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two real connections")
def test_two_beats_racing_make_one_notification_per_breach(customer, personas, monkeypatch):
    for _ in range(3):
        breached(TicketFactory(customer=customer, created_by=personas["agent"]))
    both_looked = threading.Barrier(2, timeout=20)
    looked_up = services.newly_breached

    def in_step(**kwargs):
        found = looked_up(**kwargs)
        both_looked.wait()  # each has seen the three breaches untold
        return found

    monkeypatch.setattr(services, "newly_breached", in_step)
    errors: list[BaseException] = []

    def beat():
        try:
            services.notifications_breached()
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert Notification.objects.count() == 3
