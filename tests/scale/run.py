"""`make test-scale`: the desk as a floor runs it — two web nodes, two workers, beat (and a
second beat started by mistake) — on one PostgreSQL, one Redis and one S3 object store of
private files (moto's server, tests/objectstore.py), under load, with a worker SIGKILLed
and a web node restarted in the middle.

Runs inside tests/with_services.sh with the production settings module. It migrates,
makes one client with a CRM connector for "preferences", customers and staff, then
starts (all on 127.0.0.1): a local SMTP server and a webhook receiver (the client's
systems), gunicorn on two ports (nodes A and B, 2 workers each), two `celery worker`
(prefork, 2 children each) and two `celery beat`. The load:

1. SCALE_REQUESTS (200) API change requests, sent alternately to A and B, each with its
   own Idempotency-Key; one in four is sent again to the other node (a client's retry).
2. The tickets are verified in this process (the wizard is not what is measured), then
   two agents, signed in once through node A (password and TOTP), poll their queue and
   apply their tickets, each request going to A or B in turn (a load balancer); a
   connection refused by a node that is down is retried on the other one.
3. A third of the way through, one worker is SIGKILLed; half-way, node B is stopped and
   started again.
4. A compliance officer asks node A for an audit-events export, and downloads it from B.

Then, once the sinks are quiet, it proves: one ticket per Idempotency-Key; every ticket
applied once; one confirmation e-mail per ticket; every delivery delivered and
processed once by its key; the export read on B is the file the worker wrote (its
SHA-256); no 5xx from any node. Exit status 0 only then; the logs are in var/scale/.

    make test-scale
    SCALE_REQUESTS=60 make test-scale     # a quicker run
"""

import asyncio
import atexit
import collections
import email
import hashlib
import itertools
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from tests.objectstore import s3_server

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "scale"
REQUESTS = int(os.environ.get("SCALE_REQUESTS", "200"))
PASSWORD = "scale-test-password-2024"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


for _name in ("DATABASE_URL", "REDIS_URL"):
    if _name not in os.environ:
        sys.exit(f"{_name} is not set: run through tests/with_services.sh (make test-scale)")
shutil.rmtree(OUT, ignore_errors=True)
OUT.mkdir(parents=True)
ENV = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEMO_"))}
ENV.update(
    DJANGO_SETTINGS_MODULE="profiledesk.settings.base",
    SECRET_KEY=secrets.token_urlsafe(50),
    ALLOWED_HOSTS="127.0.0.1,localhost",
    DEBUG="0",
    SECURE_SSL_REDIRECT="0",
    STATIC_ROOT=str(OUT / "static"),
    CONNECTOR_ALLOW_HTTP="1",  # the local receiver speaks plain HTTP
    EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
    EMAIL_HOST="127.0.0.1",
    EMAIL_PORT=str(_free_port()),
    EMAIL_USE_TLS="0",
    API_RATE_CREATE="100000/min",
    API_RATE_READ="100000/min",
    # What a dead worker held is taken up again soon after, not a minute later: the
    # sweeps still run only when beat says (every minute).
    CONNECTOR_SWEEP_AFTER="5",
    CONNECTOR_LEASE_MARGIN="2",
    CONNECTOR_TIMEOUT="5",
    MESSAGING_SWEEP_QUEUED_AFTER="5",
    MESSAGING_SWEEP_SENDING_AFTER="20",
    EXPORT_STALE_SECONDS="20",
    PYTHONUNBUFFERED="1",
)
# The one store of private files every node and worker reads: an S3 server of its own
# (tests/objectstore.py), as production's object store.
_STORE_CONTEXT = s3_server()
STORE = _STORE_CONTEXT.__enter__()
atexit.register(_STORE_CONTEXT.__exit__, None, None, None)
ENV.update(STORE.env)
os.environ.update(ENV)

import django  # noqa: E402

django.setup()

from aiosmtpd.controller import Controller  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django_otp.oath import totp  # noqa: E402

from profiledesk.api.keys import api_key_create  # noqa: E402
from profiledesk.celery import app as desk_celery  # noqa: E402
from profiledesk.connectors.models import Delivery, Kind  # noqa: E402
from profiledesk.connectors.models import Status as DeliveryStatus  # noqa: E402
from profiledesk.exports.models import Export  # noqa: E402
from profiledesk.messaging.models import Message  # noqa: E402
from profiledesk.messaging.models import Status as MessageStatus  # noqa: E402
from profiledesk.tickets.models import State, Ticket, TicketEvent  # noqa: E402
from profiledesk.tickets.services import ticket_claim  # noqa: E402
from profiledesk.tickets.states import transition  # noqa: E402
from tests.approvals.helpers import verify  # noqa: E402
from tests.conftest import make_staff  # noqa: E402
from tests.connectors.helpers import connector_for  # noqa: E402
from tests.factories import ClientFactory, complete_customer  # noqa: E402
from verification.services import verification_complete  # noqa: E402

failures: list[str] = []


def say(text: str) -> None:
    print(text, flush=True)  # noqa: T201 - a command-line report


def check(ok: bool, what: str) -> None:
    say(f"   {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        failures.append(what)


# --- the client's systems ------------------------------------------------------------------


class Sinks:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mail_to: collections.Counter[str] = collections.Counter()
        # recipient -> the Message-IDs it received (a mail system keeps one per Message-ID)
        self.mail_ids: dict[str, set[str]] = collections.defaultdict(set)
        self.hook_keys: collections.Counter[str] = collections.Counter()
        self.hook_bodies: dict[str, bytes] = {}
        self.processed: collections.Counter[str] = collections.Counter()  # by key, once


sinks = Sinks()


# The client's systems take their time, so the workers are busy when one is killed.
SINK_SECONDS = 0.3


class SmtpSink:
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(SINK_SECONDS)
        with sinks.lock:
            for recipient in envelope.rcpt_tos:
                sinks.mail_to[recipient.lower()] += 1
                sinks.mail_ids[recipient.lower()].add(
                    email.message_from_bytes(envelope.content)["Message-ID"]
                )
        return "250 Message accepted for delivery"


class WebhookSink(BaseHTTPRequestHandler):
    """A receiver as docs/webhooks.md asks: it processes each Idempotency-Key once."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        key = self.headers["Idempotency-Key"]
        time.sleep(SINK_SECONDS)
        with sinks.lock:
            sinks.hook_keys[key] += 1
            if key not in sinks.hook_bodies:
                sinks.hook_bodies[key] = body
                sinks.processed[json.loads(body)["ticket"]] += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):  # quiet
        pass


# --- the desk's processes ------------------------------------------------------------------

processes: list[subprocess.Popen] = []


def _spawn(name: str, command: list[str]) -> subprocess.Popen:
    log = open(OUT / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the child
    process = subprocess.Popen(  # noqa: S603 - our own programs, fixed arguments
        command, cwd=ROOT, env=ENV, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    processes.append(process)
    return process


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@atexit.register
def _stop_all() -> None:
    for process in processes:
        _stop(process)


def web_node(name: str, port: int) -> subprocess.Popen:
    process = _spawn(
        name,
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            *("-c", "python:profiledesk.gunicorn_conf", "--no-control-socket"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60"),
            "profiledesk.wsgi",
        ],
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=10)
            return process
        except requests.RequestException:
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"web node {name} did not start: see var/scale/{name}.log")
            time.sleep(0.3)


def worker(name: str) -> subprocess.Popen:
    node = f"{name}-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
    process = _spawn(
        name,
        [
            sys.executable,
            *("-m", "celery", "-A", "profiledesk", "worker", "--concurrency=2"),
            *("--loglevel=INFO", f"--hostname={node}"),
        ],
    )
    deadline = time.monotonic() + 60
    while not desk_celery.control.ping(destination=[node], timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"worker {name} did not start: see var/scale/{name}.log")
    process.node = node  # type: ignore[attr-defined]
    return process


def beat(name: str) -> subprocess.Popen:
    schedule = OUT / f"{name}-schedule"
    return _spawn(
        name,
        [sys.executable, "-m", "celery", "-A", "profiledesk", "beat", "-s", str(schedule)],
    )


def busy(process: subprocess.Popen) -> bool:
    """Whether the worker is running a task now (so that killing it loses one)."""
    active = desk_celery.control.inspect([process.node], timeout=0.5).active() or {}
    return any(active.values())


# --- the floor -----------------------------------------------------------------------------


class Balancer:
    """Sends each request to the next node in turn; a node that refuses the connection
    (it is down) is skipped, as a load balancer's health check would. Counts 5xx."""

    def __init__(self, bases: list[str]) -> None:
        self.bases = bases
        self.turn = itertools.cycle(range(len(bases)))
        self.lock = threading.Lock()
        self.errors: list[str] = []
        self.refused = 0
        self.by_node: collections.Counter[str] = collections.Counter()

    def send(self, http: requests.Session, method: str, path: str, **kwargs):
        with self.lock:
            first = next(self.turn)
        headers = kwargs.pop("headers", {})
        for attempt in range(len(self.bases) * 20):
            base = self.bases[(first + attempt) % len(self.bases)]
            try:
                response = http.request(
                    method,
                    base + path,
                    timeout=60,
                    allow_redirects=False,
                    headers={**headers, **as_behind_tls(http, base, path)},
                    **kwargs,
                )
            except requests.ConnectionError:
                with self.lock:
                    self.refused += 1
                time.sleep(0.2)
                continue
            with self.lock:
                self.by_node[base] += 1
                if response.status_code >= 500:
                    self.errors.append(f"{method} {base}{path}: {response.status_code}")
            return response
        raise RuntimeError(f"no node answered {method} {path}")


def as_behind_tls(http: requests.Session, base: str, path: str) -> dict[str, str]:
    """What a balancer that ends TLS sends a node: X-Forwarded-Proto, and the browser's
    Referer and cookies (the desk's cookies are Secure, which requests keeps off a plain
    HTTP hop; the balancer-to-node hop is plain HTTP)."""
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in http.cookies)
    headers = {"X-Forwarded-Proto": "https", "Referer": base.replace("http:", "https:") + path}
    return {**headers, "Cookie": cookies} if cookies else headers


def session() -> requests.Session:
    return requests.Session()


def sign_in(base: str, user) -> requests.Session:
    device = user.totpdevice_set.get()
    for _ in range(2):  # a code is good once: wait for the next one if it was used
        http = session()
        http.get(f"{base}/accounts/login/", headers=as_behind_tls(http, base, "/"), timeout=30)
        for path, data in (
            ("/accounts/login/", {"username": user.username, "password": PASSWORD}),
            ("/accounts/otp/", {"token": f"{totp(device.bin_key):06d}"}),
        ):
            data["csrfmiddlewaretoken"] = http.cookies["csrftoken"]
            response = http.post(
                base + path,
                data=data,
                headers=as_behind_tls(http, base, path),
                allow_redirects=False,
            )
        if response.status_code == 302 and "/accounts/" not in response.headers["Location"]:
            return http  # signed in: sent on to the desk, not back to a sign-in step
        time.sleep(31 - time.time() % 30)
    sys.exit(f"{user.username} could not sign in ({response.status_code})")


def post(balancer: Balancer, http: requests.Session, path: str, data: dict | None = None):
    data = {**(data or {}), "csrfmiddlewaretoken": http.cookies["csrftoken"]}
    return balancer.send(http, "POST", path, data=data)


def wait_until(predicate, *, timeout: float, what: str) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            check(False, f"{what} (timed out after {timeout:.0f} s)")
            return False
        time.sleep(0.5)
    return True


def main() -> int:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: a line per command
    started = time.monotonic()
    say("== migrate, collect static files, seed")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    client = ClientFactory(slug="scale", name="Scale Energy", customer_prefix="SCL")
    agents = [make_staff(f"scale-agent-{n}", "agent", client) for n in (1, 2)]
    compliance = make_staff("scale-compliance", "compliance", client)
    for user in [*agents, compliance]:
        user.set_password(PASSWORD)
        user.save()
    _key, raw_key = api_key_create(client=client, name="scale")
    customers = [complete_customer(client, phones=0) for _ in range(REQUESTS)]

    smtp = Controller(SmtpSink(), hostname="127.0.0.1", port=int(ENV["EMAIL_PORT"]))
    smtp.start()
    receiver = ThreadingHTTPServer(("127.0.0.1", _free_port()), WebhookSink)
    receiver.daemon_threads = True
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    connector_for(
        client,
        url=f"http://127.0.0.1:{receiver.server_address[1]}/hooks",
        kind=Kind.COMMUNICATIONS,  # the system whose scope holds the preferences
        name="Scale messaging platform",
        categories=["preferences"],
    )
    connection.close()  # the children open their own

    say("== start two web nodes, two workers, beat and a second beat by mistake")
    ports = [_free_port(), _free_port()]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    nodes = {"web-a": web_node("web-a", ports[0]), "web-b": web_node("web-b", ports[1])}
    workers = [worker("worker-1"), worker("worker-2")]
    beat("beat-1")
    beat("beat-2")
    balancer = Balancer(bases)

    say(f"== {REQUESTS} API requests through both nodes, a quarter of them retried")
    api = session()
    api.headers["Authorization"] = f"Bearer {raw_key}"
    references: dict[str, set[str]] = collections.defaultdict(set)
    for n, customer in enumerate(customers):
        key = str(uuid.uuid4())
        body = {
            "customer": customer.number,
            "channel": "app",
            "category": "preferences",
            "changes": {"marketing_email": True},
        }
        sends = 2 if n % 4 == 0 else 1
        for _ in range(sends):
            response = balancer.send(
                api, "POST", "/api/v1/change-requests/", json=body, headers={"Idempotency-Key": key}
            )
            if response.status_code in (200, 201):
                references[key].add(response.json()["reference"])
            else:
                check(False, f"API request answered {response.status_code}: {response.text[:200]}")
    check(
        len(references) == REQUESTS and all(len(refs) == 1 for refs in references.values()),
        "one ticket per Idempotency-Key, retries answered with the same ticket",
    )
    check(Ticket.objects.count() == REQUESTS, f"{REQUESTS} tickets in the database")

    say("== verify the callers (in this process), two agents apply through both nodes")
    tickets = list(Ticket.objects.order_by("pk"))
    for n, ticket in enumerate(tickets):
        agent = agents[n % 2]
        ticket_claim(ticket=ticket, by=agent)
        transition(ticket=ticket, to=State.VERIFYING, by=agent)
        verify(ticket, agent, level=2)
        verification_complete(ticket=ticket, by=agent)
    connection.close()
    sessions = [sign_in(bases[0], agent) for agent in agents]

    def work(index: int, done: list[int]) -> None:
        http = sessions[index]
        mine = [t.reference for n, t in enumerate(tickets) if n % 2 == index]
        for count, reference in enumerate(mine, 1):
            if count % 10 == 1:  # the queue's background refresh, as an open page does
                balancer.send(http, "GET", "/tickets/?assignee=me")
            response = post(balancer, http, f"/apply/{reference}/")
            if response.status_code not in (200, 302):
                check(False, f"apply {reference}: {response.status_code}")
            done[index] += 1

    done = [0, 0]
    threads = [threading.Thread(target=work, args=(i, done)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    killed = restarted = False
    while any(thread.is_alive() for thread in threads):
        progress = sum(done) / REQUESTS
        if not killed and (progress >= 0.6 or (progress >= 1 / 3 and busy(workers[0]))):
            say(f"   SIGKILL worker-1 at {sum(done)} applies")
            _stop(workers[0], signal.SIGKILL)
            killed = True
        if not restarted and progress >= 1 / 2:
            say(f"   restart web-b at {sum(done)} applies")
            _stop(nodes["web-b"])
            nodes["web-b"] = web_node("web-b", ports[1])
            restarted = True
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    check(killed and restarted, "a worker was killed and a web node restarted mid-load")

    say("== an export asked of node A, downloaded from node B")
    officer = sign_in(bases[0], compliance)
    today = time.strftime("%Y-%m-%d")
    asked = {"since": today, "until": today, "format": "csv"}
    response = post(balancer, officer, "/exports/audit-events/", asked)
    check(response.status_code in (200, 302), f"export requested ({response.status_code})")
    export = Export.objects.order_by("-pk").first()
    wait_until(
        lambda: Export.objects.filter(pk=export.pk, status="done").exists(),
        timeout=150,
        what="the export was built by a worker",
    )
    export.refresh_from_db()
    path = f"/exports/{export.pk}/download/"
    download = officer.get(
        bases[1] + path, headers=as_behind_tls(officer, bases[1], path), timeout=60
    )
    check(
        download.status_code == 200
        and hashlib.sha256(download.content).hexdigest() == export.sha256,
        "the export downloads from the other node, the file the worker wrote",
    )
    check(
        any(key.endswith(export.file.name) for key in STORE.keys(prefix="")),
        "the export's file is in the object store",
    )
    connection.close()

    say("== wait for the sweeps (beat, every minute) to finish what the dead worker held")
    applied = [t.pk for t in Ticket.objects.filter(state__in=[State.APPLIED, State.CLOSED])]
    check(len(applied) == REQUESTS, f"every ticket applied ({len(applied)} of {REQUESTS})")
    wait_until(
        lambda: (
            not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()
            and not Message.objects.exclude(status=MessageStatus.SENT).exists()
        ),
        timeout=200,
        what="every delivery delivered and every message sent",
    )
    time.sleep(3)  # anything sent twice would arrive now

    say("== what the client's systems and the desk say")
    moves = collections.Counter(
        TicketEvent.objects.filter(to_state=State.APPLIED).values_list("ticket_id", flat=True)
    )
    check(set(moves) == set(applied) and set(moves.values()) == {1}, "every ticket applied once")
    addresses = [c.emails.get(is_primary=True).email.lower() for c in customers]
    counts = [len(sinks.mail_ids[a]) for a in addresses]
    check(
        counts.count(1) == REQUESTS,
        f"one confirmation e-mail per ticket, by Message-ID (0: {counts.count(0)}, 2+: "
        f"{sum(1 for c in counts if c > 1)})",
    )
    # SMTP has no idempotency key: a worker killed after the server's 250 and before
    # "sent" makes the sweep send the message again, with the same Message-ID.
    again = sum(sinks.mail_to[a] for a in addresses) - REQUESTS
    check(again <= 2, f"at most the killed worker's in-flight e-mails sent again ({again})")
    deliveries = list(Delivery.objects.values_list("idempotency_key", "ticket__reference"))
    check(
        {key for key, _ in deliveries} == set(sinks.hook_bodies),
        f"every delivery reached the receiver ({len(deliveries)} deliveries, "
        f"{len(sinks.hook_bodies)} keys received)",
    )
    expected = collections.Counter(reference for _, reference in deliveries)
    check(
        len(expected) == REQUESTS and sinks.processed == expected,
        "the receiver processed each event once, every ticket's events "
        f"({sum(sinks.processed.values())} processed, {len(deliveries)} sent)",
    )
    resent = sum(sinks.hook_keys.values()) - len(sinks.hook_keys)
    check(resent <= 2, f"at most the killed worker's in-flight posts sent again ({resent})")
    check(not balancer.errors, f"no 5xx from any node ({balancer.errors[:5]})")
    log = (OUT / "worker-1.log").read_text(errors="replace")
    received = set(re.findall(r"Task [\w.]+\[([0-9a-f-]{36})\] received", log))
    finished = set(re.findall(r"Task [\w.]+\[([0-9a-f-]{36})\] (?:succeeded|failed|retry)", log))
    lost = len(received - finished)
    check(lost > 0, f"the killed worker had taken tasks it never finished ({lost})")
    say(
        f"   requests by node: {dict(balancer.by_node)}; refused while a node was down: "
        f"{balancer.refused}; whole run {time.monotonic() - started:.0f} s"
    )
    smtp.stop()
    if failures:
        say(f"\n{len(failures)} check(s) failed; logs in var/scale/")
        return 1
    say("\nall checks passed")
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
