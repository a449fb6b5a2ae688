"""Straight-through processing (issue 18): API request → applied → confirmation handed to
the mail provider, and automatic applies a second on one worker.

Runs inside tests/with_services.sh (a throwaway PostgreSQL and Redis) with the production
settings module, like apply_bench. One client with automation switched on for
"preferences" and an API key; BENCH_STP_TICKETS (100) customers for each phase. A real
`celery worker --pool=solo` process (one worker, one task at a time) runs the
straight-through tries and the confirmation e-mails; a local aiosmtpd server accepts them.

Each request is the whole path: the API's POST through Django's test client (middleware,
key check, assertion check, capture, ticket), the evidence recorded without an agent and
`verification.signals.evidence_recorded` sent on commit — what a client app's assertion
does: the request carries an assertion signed with the client app's registered key, the
API verifies it and records the pass. The receiver queues the try; the worker applies.

1. latency: one request at a time, each after the previous one's e-mail arrived: from the
   POST to the automatic apply (its timeline move) and to the messaging outbox marking the
   confirmation sent to the local SMTP server;
2. throughput: as many requests with the worker stopped (their tries wait in Redis), then
   a fresh worker: automatic applies a second, first to last apply.

    tests/with_services.sh .venv/bin/python -m tests.bench.stp_bench
    BENCH_STP_TICKETS=20 tests/with_services.sh .venv/bin/python -m tests.bench.stp_bench
"""

import os
import statistics
import sys
import time
import uuid

os.environ["API_RATE_CREATE"] = "1000000/min"  # the bench is one key sending fast

# isort: split
# apply_bench's setup first: production settings, a throwaway media folder, SMTP to a
# free local port (its module sets the environment and calls django.setup()).
from tests.bench.apply_bench import (
    SmtpSink,
    emails,
    p95,
    say,
    start_worker,
    stop_worker,
    wait_until,
)

# isort: split
import tempfile
from pathlib import Path

from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management import call_command
from rest_framework.test import APIClient

from profiledesk.api.keys import api_key_create
from profiledesk.automation.models import StraightThroughTry
from profiledesk.automation.services import switch_set
from profiledesk.messaging.models import Message, Status
from profiledesk.tickets.models import State, Ticket, TicketEvent
from tests.assertions.keys import AppSigner
from tests.factories import ClientFactory, complete_customer

TICKETS = int(os.environ.get("BENCH_STP_TICKETS", "100"))


def request(http: APIClient, customer, app: AppSigner) -> Ticket:
    """The client's app: a preferences change through the API with a signed assertion of
    the customer's sign-in there (ES256, pwd+otp: AL2). The API verifies it, records the
    pass (no agent) and announces it on commit; the receiver queues the try."""
    response = http.post(
        "/api/v1/change-requests/",
        {
            "customer": customer.number,
            "category": "preferences",
            "channel": "app",
            "changes": {"marketing_email": True},
            "assertion": app.token(customer, amr=["pwd", "otp"]),
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    if response.status_code != 201:
        sys.exit(f"the API refused the request: {response.status_code} {response.content!r}")
    return Ticket.objects.get(reference=response.json()["reference"])


def applied_at(ticket: Ticket) -> float | None:
    at = (
        TicketEvent.objects.filter(ticket=ticket, to_state=State.APPLIED)
        .values_list("at", flat=True)
        .first()
    )
    return at.timestamp() if at else None


def confirmed_at(ticket: Ticket) -> float | None:
    at = (
        Message.objects.filter(ticket=ticket, status=Status.SENT)
        .values_list("sent_at", flat=True)
        .first()
    )
    return at.timestamp() if at else None


def held(ticket: Ticket) -> str | None:
    row = StraightThroughTry.objects.filter(ticket=ticket, outcome="held").first()
    return row.reason if row else None


def main() -> None:
    say("== migrate, customers")
    call_command("migrate", interactive=False, verbosity=0)
    client = ClientFactory(slug="stpbench", name="STP Bench Energy", customer_prefix="STP")
    switch_set(client=client, category="preferences", enabled=True, by=None)
    _key, raw = api_key_create(client=client, name="Bench app")
    app = AppSigner(client)  # the client's app, its public key registered with the desk
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    first = [complete_customer(client, phones=0) for _ in range(TICKETS)]
    second = [complete_customer(client, phones=0) for _ in range(TICKETS)]
    say(f"   {2 * TICKETS} customers")

    smtp = Controller(SmtpSink(), hostname="127.0.0.1", port=settings.EMAIL_PORT)
    smtp.start()
    log = Path(tempfile.mkdtemp(prefix="profiledesk-bench-")) / "worker.log"
    worker = start_worker(log)
    try:
        say(f"\n== latency: {TICKETS} straight-through requests, one at a time")
        to_applied, to_confirmed, api_ms = [], [], []
        for customer in first:
            started = time.time()
            ticket = request(http, customer, app)
            api_ms.append((time.time() - started) * 1000)

            def done(t=ticket) -> bool:
                if held(t):
                    sys.exit(f"{t.reference} was held: {held(t)}")
                return confirmed_at(t) is not None

            try:
                wait_until(done, timeout=60)
            except SystemExit:
                ticket.refresh_from_db()
                tries = StraightThroughTry.objects.filter(ticket=ticket)
                messages = Message.objects.filter(ticket=ticket)
                say(
                    f"   {ticket.reference}: {ticket.state}, "
                    f"tries {list(tries.values_list('outcome', 'reason'))}, "
                    f"messages {list(messages.values_list('status', 'last_error'))}"
                )
                say(log.read_text()[-3000:])
                raise
            to_applied.append((applied_at(ticket) - started) * 1000)
            to_confirmed.append((confirmed_at(ticket) - started) * 1000)
        for name, values in [
            ("API request (POST + evidence recorded) itself", api_ms),
            ("API request -> applied automatically", to_applied),
            ("API request -> confirmation marked sent to SMTP", to_confirmed),
        ]:
            say(
                f"   {name}: median {statistics.median(values):.1f} ms, "
                f"p95 {p95(values):.1f} ms, max {max(values):.1f} ms"
            )

        say(f"\n== throughput: {TICKETS} requests with no worker running, then one worker")
        stop_worker(worker)
        started = time.time()
        tickets = [request(http, customer, app) for customer in second]
        took = time.time() - started
        say(f"   the API took {took:.1f} s ({TICKETS / took:.0f} requests a second)")
        worker = start_worker(log)
        wait_until(lambda: all(applied_at(t) is not None or held(t) for t in tickets), timeout=600)
        times = sorted(a for t in tickets if (a := applied_at(t)) is not None)
        still_held = sum(1 for t in tickets if held(t))
        span = times[-1] - times[0] if len(times) > 1 else float("nan")
        say(
            f"   one worker applied {TICKETS - still_held} tickets automatically in "
            f"{span:.2f} s (first to last apply): {(TICKETS - 1) / span:.1f} automatic "
            f"applies a second (with the confirmations' send tasks interleaved); "
            f"held: {still_held}"
        )
        say(f"   e-mails accepted by the SMTP server so far: {emails.count}")
    finally:
        stop_worker(worker)
        smtp.stop()


if __name__ == "__main__":
    main()
