import pytest
import time_machine

from .helpers import WEDNESDAY


@pytest.fixture
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller
