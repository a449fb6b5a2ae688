"""Audit events (docs/design.md §7) are chained: each row carries the hash of the one before, so
an altered, removed or inserted row shows."""

import itertools
import threading

import pytest
from django.db import connection
from django.test import RequestFactory

from audit.models import AuditEvent
from audit.services import GENESIS_HASH, audit_record, chained_fields, event_hash


def _broken_links(events: list[AuditEvent]) -> list[int]:
    """Ids of the events that do not follow from the one before, as a verifier sees them."""
    broken = []
    previous = GENESIS_HASH
    for event in events:
        recomputed = event_hash(prev_hash=event.prev_hash, fields=chained_fields(event))
        if event.prev_hash != previous or recomputed != event.hash:
            broken.append(event.pk)
        previous = event.hash
    return broken


@pytest.fixture
def events(personas, customer):
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.7")
    return [
        audit_record(action="staff.signed_in", actor=personas["agent"], request=request),
        audit_record(
            action="customer.sensitive_revealed",
            actor=personas["agent"],
            client=customer.client,
            target=customer,
            data={"section": "personal", "row_id": customer.personal.pk, "label": "national ID"},
            request=request,
        ),
        audit_record(action="policy.edited", data={"note": "Zoë’s change — ünïcode"}),
    ]


def _stored() -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("id"))


def test_each_event_carries_the_hash_of_the_one_before(events):
    stored = _stored()
    assert stored[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(stored):
        assert after.prev_hash == before.hash


def test_every_stored_event_recomputes_to_its_hash(events):
    assert len(_stored()) == 3
    assert _broken_links(_stored()) == []


def test_an_event_records_who_whose_and_from_where(events, personas, customer):
    reveal = AuditEvent.objects.get(action="customer.sensitive_revealed")
    assert reveal.actor_username == "agent"
    assert reveal.client == customer.client
    assert (reveal.target_type, reveal.target_id) == ("customers.customer", str(customer.pk))
    assert reveal.ip_address == "203.0.113.7"


@pytest.mark.parametrize(
    ("field", "forged"),
    [
        ("data", {"section": "personal", "row_id": 1, "label": "date of birth"}),
        ("actor_username", "supervisor"),
        ("action", "customer.viewed"),
        ("target_id", "999999"),
        ("ip_address", "198.51.100.1"),
    ],
)
def test_changing_any_recorded_field_of_an_event_breaks_the_chain(events, field, forged):
    stored = _stored()
    tampered = stored[1]
    setattr(tampered, field, forged)
    assert _broken_links(stored) == [tampered.pk]


def test_changing_when_an_event_happened_breaks_the_chain(events):
    stored = _stored()
    stored[1].created_at = stored[1].created_at.replace(year=2020)
    assert _broken_links(stored) == [stored[1].pk]


def test_removing_an_event_breaks_the_link_of_the_next_one(events):
    stored = _stored()
    del stored[1]
    assert _broken_links(stored) == [stored[1].pk]


def test_rehashing_a_tampered_event_still_breaks_the_next_link(events):
    stored = _stored()
    stored[1].data = {"label": "nothing to see"}
    stored[1].hash = event_hash(prev_hash=stored[1].prev_hash, fields=chained_fields(stored[1]))
    assert _broken_links(stored) == [stored[2].pk]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="appends are serialised with a PostgreSQL advisory lock; SQLite writes one at a time",
)
@pytest.mark.django_db(transaction=True)
def test_events_written_at_the_same_moment_still_form_one_chain():
    writers = 6
    start = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait()
            audit_record(action="test.concurrent", data={"writer": n})
        except BaseException as error:  # reported by the assertion below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=[n]) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not failures
    stored = _stored()
    assert len(stored) == writers
    assert _broken_links(stored) == []
