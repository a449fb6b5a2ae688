import pytest
import time_machine

from tests.approvals.helpers import WEDNESDAY


@pytest.fixture
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller
