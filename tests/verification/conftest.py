"""Fixtures of the verification tests: a ticket being verified, a frozen clock, and the
customer's side of a code (what messaging was asked to send)."""

import datetime as dt
from dataclasses import dataclass

import pytest
import time_machine

from verification import services

from .helpers import open_ticket

# A Wednesday morning, inside the default business hours.
START = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)


@dataclass
class Sent:
    channel: str
    to: str
    code: str
    kwargs: dict


@pytest.fixture
def clock():
    """A frozen clock at START; `clock.shift(seconds)` moves it."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def sent(monkeypatch):
    """What the customer receives: every message_queue call, passed on to messaging."""
    from profiledesk.messaging.services import message_queue

    calls: list[Sent] = []

    def recording(**kwargs):
        calls.append(Sent(kwargs["channel"], kwargs["to"], kwargs["context"]["code"], kwargs))
        return message_queue(**kwargs)

    monkeypatch.setattr(services, "_message_queue", lambda: recording)
    return calls


@pytest.fixture
def ticket(clock, customer, agent):
    """A contact ticket (AL2) being verified; no new e-mail or phone in it."""
    return open_ticket(customer, agent)
