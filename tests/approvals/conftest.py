import pytest
import time_machine

from verification import services as verification

from .helpers import WEDNESDAY


@pytest.fixture
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def codes(monkeypatch):
    """The codes the customer would read out: every message verification queues."""
    from profiledesk.messaging.services import message_queue

    sent: list[dict] = []

    def recording(**kwargs):
        sent.append(kwargs)
        return message_queue(**kwargs)

    monkeypatch.setattr(verification, "_message_queue", lambda: recording)
    return sent
