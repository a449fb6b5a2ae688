import pytest
import time_machine

from tests.approvals.helpers import WEDNESDAY


@pytest.fixture
def clock():
    """Inside business hours (no off-hours risk points); moves on a minute at a time."""
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller
