"""The desk-wide counters (verification outcomes, applies, rollbacks, connector failures)
are kept in Redis: processes add up, a scrape reads the total, a rolled-back transaction
counts nothing, and a Redis outage never fails the event it would have counted."""

import multiprocessing

import pytest
import redis
from django.utils import timezone

from profiledesk.connectors.models import Delivery
from profiledesk.connectors.services import deliveries_create
from profiledesk.connectors.tasks import deliver
from profiledesk.observability import counters
from profiledesk.tickets.models import State, TicketEvent
from tests.connectors.helpers import EVENT, connector_for, mark_applied
from tests.factories import TicketFactory
from verification.models import Attempt

NAMES = list(counters.COUNTERS)


@pytest.fixture
def metrics_redis(settings, redis_up):
    settings.METRICS_ENABLED = True
    settings.METRICS_REDIS_URL = settings.REDIS_URL.rsplit("/", 1)[0] + "/5"
    counters._redis.cache_clear()
    client = redis.Redis.from_url(settings.METRICS_REDIS_URL)
    client.delete(*(counters.KEY.format(name=name) for name in NAMES))
    yield client
    client.delete(*(counters.KEY.format(name=name) for name in NAMES))
    client.close()
    counters._redis.cache_clear()


def totals() -> dict[str, dict[tuple, float]]:
    return {
        family.name: {tuple(s.labels.values()): s.value for s in family.samples}
        for family in counters.families()
    }


def _count_many(times: int) -> None:
    for _ in range(times):
        counters.count(
            "profiledesk_verification_attempts", method="otp", purpose="identity", result="passed"
        )


def test_counts_from_several_processes_add_up(metrics_redis):
    # Forked like Celery's prefork children and gunicorn's workers.
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_count_many, args=(50,)) for _ in range(3)]
    for process in processes:
        process.start()
    _count_many(10)
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    attempts = totals()["profiledesk_verification_attempts"]
    assert attempts == {("otp", "identity", "passed"): 160}


@pytest.mark.django_db
def test_a_verification_attempt_counts_once_its_transaction_commits(
    metrics_redis, customer, agent, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(customer=customer, created_by=agent)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        Attempt.objects.create(
            ticket=ticket, customer=customer, method="otp", result="failed", at=timezone.now()
        )
    assert totals()["profiledesk_verification_attempts"] == {}  # not committed yet
    for callback in pending:
        callback()
    assert totals()["profiledesk_verification_attempts"] == {("otp", "identity", "failed"): 1}


@pytest.mark.django_db
def test_applies_and_rollbacks_are_counted_from_the_tickets_moves(
    metrics_redis, customer, agent, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(customer=customer, created_by=agent, channel="chat")
    with django_capture_on_commit_callbacks(execute=True):
        for to_state, actor in [(State.APPLIED, agent), (State.ROLLED_BACK, agent)]:
            TicketEvent.objects.create(
                ticket=ticket,
                at=timezone.now(),
                actor=actor,
                kind=TicketEvent.Kind.TRANSITION,
                to_state=to_state,
            )
        # A comment or a note is not a move.
        TicketEvent.objects.create(
            ticket=ticket, at=timezone.now(), kind=TicketEvent.Kind.NOTE, to_state=State.APPLIED
        )
    seen = totals()
    assert seen["profiledesk_applies"] == {("chat", "staff"): 1}
    assert seen["profiledesk_rollbacks"] == {(): 1}


@pytest.mark.django_db
def test_a_connectors_failed_attempts_are_counted_by_kind_outcome_and_reason(
    metrics_redis, customer, agent, northwind, receiver, settings
):
    settings.CONNECTOR_MAX_ATTEMPTS = 2
    receiver.answers = [503, 500]
    ticket = TicketFactory(customer=customer, created_by=agent, category="contact")
    mark_applied(ticket)
    connector_for(northwind, url=receiver.url, name="Northwind CRM")
    [delivery] = deliveries_create(ticket=ticket, event=EVENT)
    deliver.apply(args=[delivery.pk])  # 503: retrying (Celery's retry raised in eager mode)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())  # due now
    deliver.apply(args=[delivery.pk])  # 500 on the last attempt: gave up
    failures = totals()["profiledesk_connector_failures"]
    assert failures == {("crm", "retrying", "http_5xx"): 1, ("crm", "gave_up", "http_5xx"): 1}


@pytest.mark.django_db
def test_with_redis_down_the_event_happens_and_the_scrape_says_nothing(
    settings, customer, agent, django_capture_on_commit_callbacks
):
    settings.METRICS_ENABLED = True
    settings.METRICS_REDIS_URL = "redis://127.0.0.1:1/0"
    counters._redis.cache_clear()
    ticket = TicketFactory(customer=customer, created_by=agent)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            Attempt.objects.create(
                ticket=ticket, customer=customer, method="otp", result="passed", at=timezone.now()
            )
        assert Attempt.objects.filter(ticket=ticket).count() == 1
        assert list(counters.families()) == []
    finally:
        counters._redis.cache_clear()
