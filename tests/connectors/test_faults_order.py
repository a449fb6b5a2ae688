"""The receiver goes away for a while during 200 applies (issue 15): once it is back, every
event has been processed exactly once and, for each customer, in the order the changes
were applied; the receiving records end with the last value of each customer. A real
worker process, a real receiver process-like server on a fixed port that is stopped and
started again, and the documented receiver (docs/examples/webhook_receiver.py)."""

import importlib.util
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings

from profiledesk.apply.services import ticket_apply
from profiledesk.connectors.models import Delivery, Kind, Status
from profiledesk.connectors.services import deliveries_sweep
from profiledesk.customers.models import Preferences
from tests.apply.helpers import applicable
from tests.factories import claimed, complete_customer
from tests.messaging.conftest import free_port

from .helpers import SECRET, connector_for
from .workers import start_worker, stop_worker

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("PROFILEDESK_FAULTS"), reason="fault tests: PROFILEDESK_FAULTS=1"
    ),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the worker process needs the PostgreSQL of tests/with_services.sh",
    ),
]

CUSTOMERS = 20
CHANGES = 10  # a customer: 200 applies in all

_spec = importlib.util.spec_from_file_location(
    "webhook_receiver", Path(settings.BASE_DIR) / "docs" / "examples" / "webhook_receiver.py"
)
example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(example)


class Receiver:
    """The documented receiver behind an HTTP server that can be stopped (connections
    refused) and started again on the same port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.records = example.Records()
        self.outcomes: list[tuple[str, int, str]] = []  # (customer, sequence, outcome)
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                event = example.verify(secret=SECRET, headers=headers, body=body)
                with receiver.lock:
                    outcome = receiver.records.apply(
                        event, idempotency_key=headers["idempotency-key"]
                    )
                    receiver.outcomes.append(
                        (event["data"]["customer"], event["sequence"], outcome)
                    )
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.mark.django_db(transaction=True)
def test_a_receiver_away_during_200_applies_gets_each_event_once_and_in_order(
    northwind, personas, redis_up, tmp_path, settings
):
    receiver = Receiver(free_port())
    settings.CONNECTOR_ALLOW_HTTP = True
    connector_for(
        northwind,
        url=f"http://127.0.0.1:{receiver.port}/hooks",
        kind=Kind.COMMUNICATIONS,  # its scope holds the preferences
        categories=["preferences"],
    )
    # No e-mail or phone: nothing to confirm, the deliveries are the whole story.
    customers = [
        complete_customer(northwind, emails=0, phones=0, legal_name=f"Customer {n}")
        for n in range(CUSTOMERS)
    ]
    worker = start_worker(
        tmp_path / "worker.log",
        CONNECTOR_ALLOW_HTTP="1",
        CONNECTOR_TIMEOUT="2",
        CONNECTOR_LEASE_MARGIN="1",
        CONNECTOR_RETRY_BASE_SECONDS="1",
        CONNECTOR_RETRY_MAX_SECONDS="2",
        CONNECTOR_MAX_ATTEMPTS="100",
    )
    last: dict[str, bool] = {}
    try:
        receiver.start()
        for round_ in range(CHANGES):
            if round_ == 2:
                receiver.stop()  # away for rounds 2-6: connections refused, retried
            if round_ == 7:
                receiver.start()
            for customer in customers:
                fresh = type(customer).objects.get(pk=customer.pk)
                value = not Preferences.objects.get(customer=fresh).marketing_email
                ticket = applicable(fresh, personas, "preferences", {"marketing_email": value})
                ticket_apply(ticket=claimed(ticket, personas["agent"]), by=personas["agent"])
                last[customer.number] = value
        deadline = time.monotonic() + 180
        while Delivery.objects.exclude(status=Status.DELIVERED).exists():
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-4000:]
            deliveries_sweep()  # beat's job: what waited its turn or lost its task
            time.sleep(1)
    finally:
        stop_worker(worker)
        receiver.stop()

    assert Delivery.objects.count() == CUSTOMERS * CHANGES
    assert not Delivery.objects.exclude(status=Status.DELIVERED).exists()
    applied = [(c, s) for c, s, outcome in receiver.outcomes if outcome == "applied"]
    # Exactly once: every event processed once (a repeat is recognised by its key).
    assert len(applied) == CUSTOMERS * CHANGES
    assert not [o for o in receiver.outcomes if o[2] == "stale"]
    # In order: each customer's events arrived in the order of their sequence.
    for customer in last:
        sequences = [s for c, s in applied if c == customer]
        assert sequences == sorted(sequences) and len(sequences) == CHANGES, customer
    # And the record ends with the last value applied.
    for number, value in last.items():
        record = receiver.records.customers[number]
        values = [
            v for (field, _row), v in _fields(record) if field == "preferences.marketing_email"
        ]
        assert values == [value], number


def _fields(record: dict):
    return [(key, value) for key, value in record.items() if isinstance(key, tuple)]
