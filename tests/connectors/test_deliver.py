"""The delivery task against a real local receiver: signed, idempotent, retried with
back-off, given up, routed by category (connectors.tasks.deliver, services)."""

import datetime as dt
import json

import pytest
import time_machine
from django.utils import timezone

from profiledesk.connectors import services
from profiledesk.connectors.models import Delivery, Kind, Status
from profiledesk.connectors.services import deliveries_create
from profiledesk.connectors.signals import delivery_acknowledged
from profiledesk.connectors.signing import signature_valid
from profiledesk.connectors.tasks import deliver
from profiledesk.tickets.models import TicketEvent
from tests.factories import TicketFactory

from .helpers import EVENT, SECRET, connector_for, mark_applied


@pytest.fixture
def ticket(customer, agent):
    ticket = TicketFactory(customer=customer, created_by=agent, category="contact")
    mark_applied(ticket)
    return ticket


@pytest.fixture
def crm(northwind, receiver):
    return connector_for(northwind, url=receiver.url, name="Northwind CRM")


def run(delivery) -> str:
    """The task as a worker runs it (eagerly, in this process)."""
    return deliver.apply(args=[delivery.pk]).result


def test_an_event_is_posted_signed_with_the_connectors_secret(ticket, crm, receiver):
    [delivery] = deliveries_create(ticket=ticket, event=EVENT)

    assert run(delivery) == "delivered"

    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    assert signature_valid(
        secret=SECRET,
        timestamp=headers["x-profiledesk-timestamp"],
        body=body,
        header=headers["x-profiledesk-signature"],
    )
    assert not signature_valid(
        secret="another-secret-of-sufficient-length",
        timestamp=headers["x-profiledesk-timestamp"],
        body=body,
        header=headers["x-profiledesk-signature"],
    )
    assert headers["content-type"] == "application/json"
    assert headers["x-profiledesk-event-id"] == "evt-0001"
    assert headers["idempotency-key"] == f"evt-0001:{crm.pk}"
    sent = json.loads(body)
    assert sent["id"] == "evt-0001" and sent["type"] == "profile.changed"
    assert sent["ticket"] == ticket.reference and sent["client"] == "northwind"
    assert sent["category"] == "contact"
    assert sent["data"]["changes"] == EVENT["changes"]
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED and delivery.last_status_code == 200
    assert delivery.delivered_at is not None and delivery.attempts == 1


def test_a_retry_sends_the_same_body_and_idempotency_key_after_the_back_off(ticket, crm, receiver):
    receiver.answers = [500]
    [delivery] = deliveries_create(ticket=ticket, event=EVENT)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        run(delivery)
        delivery.refresh_from_db()
        assert delivery.status == Status.FAILING
        assert delivery.last_status_code == 500 and delivery.last_error == "HTTP 500"
        assert delivery.next_attempt_at == start + dt.timedelta(seconds=30)
        # Too early: a task run before the back-off has passed sends nothing.
        assert run(delivery) == "skipped"
    with time_machine.travel(start + dt.timedelta(seconds=31), tick=False):
        assert run(delivery) == "delivered"

    first, second = receiver.requests
    assert first["body"] == second["body"]
    for name in ("idempotency-key", "x-profiledesk-event-id"):
        assert first["headers"][name] == second["headers"][name]
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED and delivery.attempts == 2


def test_the_back_off_doubles_from_30_seconds_up_to_an_hour():
    assert [services.retry_delay(n) for n in (1, 2, 3, 4, 5, 7, 8, 20)] == [
        30,
        60,
        120,
        240,
        480,
        1920,
        3600,
        3600,
    ]


def test_after_the_last_attempt_the_delivery_gives_up_and_says_so_on_the_timeline(
    ticket, crm, receiver, settings
):
    settings.CONNECTOR_MAX_ATTEMPTS = 3
    receiver.answers = [503, "timeout", 500]
    [delivery] = deliveries_create(ticket=ticket, event=EVENT)
    moment = timezone.now()
    for _ in range(3):
        with time_machine.travel(moment, tick=False):
            run(delivery)
        delivery.refresh_from_db()
        moment = delivery.next_attempt_at + dt.timedelta(seconds=1)

    assert [r["answer"] for r in receiver.requests] == [503, "timeout", 500]
    assert delivery.status == Status.GAVE_UP
    assert delivery.attempts == 3
    assert delivery.last_error == "gave up after 3 attempts: HTTP 500"
    notes = ticket.events.filter(kind=TicketEvent.Kind.NOTE).values_list("message", flat=True)
    assert any("gave up" in note for note in notes)
    # Nothing more is tried.
    with time_machine.travel(moment + dt.timedelta(hours=2), tick=False):
        assert run(delivery) == "skipped"
    assert len(receiver.requests) == 3


def test_a_timeout_is_recorded_as_such(ticket, crm, receiver):
    receiver.answers = ["timeout"]
    [delivery] = deliveries_create(ticket=ticket, event=EVENT)
    run(delivery)
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILING
    assert delivery.last_error == "timed out" and delivery.last_status_code is None


def test_a_redirect_is_not_an_acknowledgement(ticket, crm, receiver):
    receiver.answers = [302]
    [delivery] = deliveries_create(ticket=ticket, event=EVENT)
    run(delivery)
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILING and delivery.last_error == "HTTP 302"


def test_a_task_run_twice_delivers_once(ticket, crm, receiver):
    [delivery] = deliveries_create(ticket=ticket, event=EVENT)
    assert run(delivery) == "delivered"
    assert run(delivery) == "skipped"
    assert len(receiver.requests) == 1


def test_a_delivery_held_by_a_worker_is_not_sent_by_another(ticket, crm, receiver):
    [delivery] = deliveries_create(ticket=ticket, event=EVENT)
    held = services.delivery_claim(delivery_id=delivery.pk)
    assert held is not None
    assert run(delivery) == "skipped"
    assert receiver.requests == []


def test_creating_the_same_event_again_writes_and_queues_nothing(
    ticket, crm, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        first = deliveries_create(ticket=ticket, event=EVENT)
    with django_capture_on_commit_callbacks() as queued_again:
        again = deliveries_create(ticket=ticket, event=EVENT)
    assert [d.pk for d in again] == [d.pk for d in first]
    assert len(queued) == 1 and queued_again == []
    assert Delivery.objects.count() == 1


def test_connectors_get_only_the_categories_they_receive(
    ticket, northwind, solaris, receiver, django_capture_on_commit_callbacks
):
    crm = connector_for(northwind, url=receiver.url, kind=Kind.CRM, categories=["contact"])
    connector_for(northwind, url=receiver.url, kind=Kind.BILLING, categories=["billing"])
    connector_for(
        northwind, url=receiver.url, kind=Kind.SUPPORT, categories=["contact"], is_active=False
    )
    connector_for(solaris, url=receiver.url, kind=Kind.CRM, categories=["contact"])

    with django_capture_on_commit_callbacks() as queued:
        deliveries = deliveries_create(ticket=ticket, event=EVENT)

    assert [d.connector for d in deliveries] == [crm]
    assert len(queued) == 1


def test_security_commands_go_to_the_identity_system(customer, agent, northwind, receiver):
    ticket = TicketFactory(customer=customer, created_by=agent, category="security")
    identity = connector_for(
        northwind, url=receiver.url, kind=Kind.IDENTITY, categories=["security"]
    )
    connector_for(northwind, url=receiver.url, kind=Kind.CRM, categories=["contact"])
    event = {"id": "evt-sec", "category": "security", "commands": ["password_reset"]}
    [delivery] = deliveries_create(ticket=ticket, event=event)
    assert delivery.connector == identity
    run(delivery)
    assert json.loads(receiver.requests[0]["body"])["data"] == {"commands": ["password_reset"]}


def test_an_event_with_a_card_number_is_refused(ticket, crm):
    event = {**EVENT, "changes": [{"field": "billing.card", "new": "4111 1111 1111 1111"}]}
    with pytest.raises(ValueError, match="card number"):
        deliveries_create(ticket=ticket, event=event)
    assert not Delivery.objects.exists()


def test_an_event_id_that_happens_to_pass_the_card_check_is_not_refused(ticket, crm):
    # A random UUID, one of the ~1 in 370 whose digits make a Luhn-valid run.
    event = {**EVENT, "id": "e5dc50d4-99d3-4986-8969-7328556e1dc7"}
    assert len(deliveries_create(ticket=ticket, event=event)) == 1


def test_nothing_is_queued_when_the_apply_rolls_back(
    ticket, crm, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks() as queued,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        deliveries_create(ticket=ticket, event=EVENT)
        raise RuntimeError("the apply failed")
    assert queued == [] and not Delivery.objects.exists()


@pytest.fixture
def announcements():
    """Every `delivery_acknowledged` the test hears, as delivery ids."""
    heard = []

    def listener(sender, *, delivery_id, **kwargs):
        heard.append(delivery_id)

    delivery_acknowledged.connect(listener, weak=False)
    yield heard
    delivery_acknowledged.disconnect(listener)


def test_an_acknowledgement_is_announced_once_with_the_delivery_id(
    ticket, crm, receiver, announcements
):
    [delivery] = deliveries_create(ticket=ticket, event=EVENT)

    assert run(delivery) == "delivered"
    assert run(delivery) == "skipped"  # a redelivered task: nothing to announce again

    assert announcements == [delivery.pk]


def test_a_failed_attempt_announces_nothing(ticket, crm, receiver, announcements):
    receiver.answers = [503]
    [delivery] = deliveries_create(ticket=ticket, event=EVENT)

    run(delivery)

    delivery.refresh_from_db()
    assert delivery.status == Status.FAILING
    assert announcements == []


def test_a_listener_that_fails_does_not_undo_the_delivery(ticket, crm, receiver, caplog):
    def broken(sender, **kwargs):
        raise RuntimeError("listener broke")

    delivery_acknowledged.connect(broken, weak=False)
    try:
        [delivery] = deliveries_create(ticket=ticket, event=EVENT)
        assert run(delivery) == "delivered"
    finally:
        delivery_acknowledged.disconnect(broken)

    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert "listener broke" in caplog.text


@pytest.mark.usefixtures("crm")
def test_a_broker_outage_does_not_fail_the_committed_apply(
    ticket, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(deliver, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = deliveries_create(ticket=ticket, event=EVENT)
    assert f"delivery {delivery.pk} not queued (OperationalError)" in caplog.text
    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING  # the sweep queues it once Redis is back
