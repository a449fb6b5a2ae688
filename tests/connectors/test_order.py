"""Order per customer (issue 15): every event carries the customer's sequence and the one
it follows, and a system never gets a customer's later event before the earlier one is
delivered or given up. The receiver is docs/examples/webhook_receiver.py, run against the
real sender through a real local HTTP server."""

import datetime as dt
import importlib.util
import json
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

from profiledesk.apply.services import ticket_apply
from profiledesk.connectors import services
from profiledesk.connectors.models import Delivery, Kind, Status
from profiledesk.connectors.tasks import deliver
from tests.apply.helpers import applicable
from tests.approvals.helpers import WEDNESDAY

from .helpers import SECRET, connector_for

_spec = importlib.util.spec_from_file_location(
    "webhook_receiver", Path(settings.BASE_DIR) / "docs" / "examples" / "webhook_receiver.py"
)
example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(example)


@pytest.fixture
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


def run(delivery) -> str:
    return deliver.apply(args=[delivery.pk]).result


def email_change(customer, personas, value):
    primary = customer.emails.get(is_primary=True)
    ticket = applicable(customer, personas, "contact", {"email": value, "email_target": primary.pk})
    ticket_apply(ticket=ticket, by=personas["agent"])
    return Delivery.objects.get(ticket=ticket)


def replay(receiver, records: "example.Records") -> list[str]:
    """What the example receiver does with every request the desk made, in order."""
    outcomes = []
    for request in receiver.requests:
        if request["answer"] != 200:
            continue  # the receiver failed that one: the desk sends it again
        event = example.verify(
            secret=SECRET,
            headers=request["headers"],
            body=request["body"],
            now=int(request["headers"]["x-profiledesk-timestamp"]),
        )
        outcomes.append(records.apply(event, idempotency_key=request["headers"]["idempotency-key"]))
    return outcomes


def test_a_later_change_waits_for_the_earlier_one_that_failed(
    customer, personas, northwind, receiver, clock
):
    connector_for(northwind, url=receiver.url, kind=Kind.CRM, categories=["contact"])
    receiver.answers = [500]  # the first delivery fails once
    first = email_change(customer, personas, "first@navy.example")
    clock.shift(dt.timedelta(seconds=1))
    second = email_change(customer, personas, "second@navy.example")
    assert second.sequence > first.sequence
    assert second.event["replaces"] == first.event["sequence"] == first.sequence
    assert first.event["replaces"] is None

    run(first)
    assert Delivery.objects.get(pk=first.pk).status == Status.FAILING
    # The second is due now, but its customer's earlier event is still on its way.
    assert run(second) == "skipped"
    assert Delivery.objects.get(pk=second.pk).attempts == 0
    clock.shift(dt.timedelta(seconds=31))
    assert run(first) == "delivered"
    assert run(second) == "delivered"

    records = example.Records()
    assert replay(receiver, records) == ["applied", "applied"]
    [record] = records.customers.values()
    row = customer.emails.get(is_primary=True).pk
    assert record[("emailaddress.email", row)] == "second@navy.example"


def test_a_given_up_event_lets_the_next_one_go_and_its_late_retry_is_dropped(
    customer, personas, northwind, receiver, clock, settings
):
    settings.CONNECTOR_MAX_ATTEMPTS = 1
    connector_for(northwind, url=receiver.url, kind=Kind.CRM, categories=["contact"])
    receiver.answers = [500]
    first = email_change(customer, personas, "first@navy.example")
    second = email_change(customer, personas, "second@navy.example")
    assert run(first) == "gave_up"
    assert run(second) == "delivered"
    # A supervisor retries the given-up one: it arrives after the newer value, and the
    # receiver keeps the newer value because of the sequence.
    services.delivery_retry(delivery=first, by=personas["supervisor"])
    assert run(first) == "delivered"
    records = example.Records()
    assert replay(receiver, records) == ["applied", "stale"]
    [record] = records.customers.values()
    assert "second@navy.example" in record.values()


def test_the_order_is_per_customer_and_per_system(customer, personas, northwind, receiver):
    from tests.factories import complete_customer

    other = complete_customer(northwind)
    connector_for(northwind, url=receiver.url, kind=Kind.CRM, categories=["contact"])
    receiver.answers = [500]
    blocked = email_change(customer, personas, "first@navy.example")
    elsewhere = email_change(other, personas, "other@navy.example")
    assert run(blocked) != "delivered"
    assert run(elsewhere) == "delivered"  # another customer's events do not wait


def test_a_replayed_or_forged_request_is_refused_by_the_example_receiver(
    customer, personas, northwind, receiver
):
    connector_for(northwind, url=receiver.url, kind=Kind.CRM, categories=["contact"])
    run(email_change(customer, personas, "first@navy.example"))
    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    now = int(headers["x-profiledesk-timestamp"])
    assert example.verify(secret=SECRET, headers=headers, body=body, now=now)["id"]
    with pytest.raises(ValueError, match="bad signature"):
        example.verify(
            secret=SECRET, headers=headers, body=body.replace(b"first", b"evil"), now=now
        )
    with pytest.raises(ValueError, match="stale"):
        example.verify(secret=SECRET, headers=headers, body=body, now=now + 3600)
    event = json.loads(body)
    assert event["sequence"] >= 1 and event["replaces"] is None


def test_two_applies_for_one_customer_number_their_events_in_commit_order(
    customer, personas, northwind
):
    connector_for(northwind, url="https://crm.example/hook", categories=["contact"])
    deliveries = [email_change(customer, personas, f"n{i}@navy.example") for i in range(3)]
    sequences = [d.sequence for d in deliveries]
    assert sequences == sorted(sequences) and len(set(sequences)) == 3
    assert [d.event["replaces"] for d in deliveries] == [None, *sequences[:2]]
