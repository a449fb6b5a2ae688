"""The webhook under pressure: the same decision delivered twice at once (Stripe retries,
a replayer races it) records one pass; and any JSON, properly signed, is a 200 or a 400 —
never an exception — and never evidence unless it is a real decision of a real session."""

import json
import threading
import time

import pytest
from django.db import connection
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from profiledesk.idv import services
from profiledesk.idv.services import idv_webhook_receive
from verification.models import Attempt

from .conftest import started
from .provider import sign

VERIFIED = "identity.verification_session.verified"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_one_decision_delivered_twice_at_once_records_one_pass(
    monkeypatch, ticket, agent, account, stripe, queued, django_capture_on_commit_callbacks
):
    session = started(ticket, agent, django_capture_on_commit_callbacks, queued)
    payload = json.dumps(stripe.event(session.provider_id, VERIFIED)).encode()
    original = services._ignored_reason

    def slow(*args):
        time.sleep(0.3)  # hold the rows while the other delivery arrives
        return original(*args)

    monkeypatch.setattr(services, "_ignored_reason", slow)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def deliver():
        barrier.wait()
        try:
            received = idv_webhook_receive(
                client_slug="northwind", payload=payload, signature=sign(payload), request=None
            )
            statuses.append(received.status)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200, 200]
    assert Attempt.objects.filter(method="provider").count() == 1


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@pytest.fixture
def live_session(ticket, agent, account, stripe, queued, django_capture_on_commit_callbacks):
    return started(ticket, agent, django_capture_on_commit_callbacks, queued)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    event_id=st.one_of(st.text(max_size=30), st.just("evt_x")),
    event_type=st.sampled_from([VERIFIED, "identity.verification_session.requires_input", "x"])
    | st.text(max_size=20),
    obj=st.dictionaries(
        st.sampled_from(["id", "status", "metadata", "last_error", "url"]), JSON, max_size=5
    ),
)
# A NUL in the type or the session's id: PostgreSQL refuses it in text, a 500 before.
@example(event_id="evt_x", event_type="\x00", obj={})
@example(event_id="evt_x", event_type=VERIFIED, obj={"id": "vs_\x00", "status": "verified"})
def test_any_signed_json_is_a_200_or_a_400_and_never_evidence(
    live_session, event_id, event_type, obj
):
    event = {"id": event_id, "type": event_type, "data": {"object": obj}}
    payload = json.dumps(event).encode()
    received = idv_webhook_receive(
        client_slug="northwind", payload=payload, signature=sign(payload), request=None
    )
    assert received.status in (200, 400)
    # Without the real session's id and the desk's metadata no fuzzed event is evidence.
    assert not Attempt.objects.filter(method="provider").exists()
