import datetime as dt

import pytest
import time_machine

from tests.factories import complete_customer

from .builders import TUESDAY_MORNING, hours


@pytest.fixture
def office(northwind):
    """Northwind (Europe/London), open Monday to Friday 08:00-20:00."""
    hours(northwind, ("08:00", "20:00"))
    return northwind


@pytest.fixture
def grace(office):
    """A customer since 200 days, her e-mail and phone on file since then."""
    with time_machine.travel(TUESDAY_MORNING - dt.timedelta(days=200), tick=False):
        return complete_customer(office, legal_name="Grace Hopper")
