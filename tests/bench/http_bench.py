"""`make bench` (HTTP part): the hot pages over HTTP through gunicorn, next to the bare view.

Runs inside tests/with_services.sh (a throwaway PostgreSQL and Redis) with the production
settings. It seeds as the queue bench does (tests/bench/run.py: BENCH_TICKETS tickets,
1,000,000 by default), prints the queue bench's test-client table, gives one customer
BENCH_VERSIONS (10,000) history versions (tests/bench/history_bench.py), then starts
gunicorn with profiledesk/gunicorn_conf.py and 2 workers on 127.0.0.1 (settings:
tests/bench/settings.py, production's plus the bare view and a query counter) and loads
each page with `wrk` (4 connections, BENCH_SECONDS a case, 10 by default) as signed-in,
verified staff (sessions made as after a real sign-in with both factors).

Each case is checked before it is timed: one request must answer the expected status (200,
or 304 for the refresh sent with the ETag it was given) with the page's marker (never a
redirect to the sign-in page), within its query budget (counted through gunicorn by the
bench settings' `X-Bench-Queries` header); and wrk must see that status on every answer.

Reported a case: requests a second, p50/p90/p99 (wrk's), the ratio to the bare view of
requests a second, the gunicorn workers' CPU a request (from /proc of the worker pids)
and its ratio to the bare view, PostgreSQL's CPU a request (the postmaster and its
children), and the machine's load during the case (load average; cores busy outside this
run: other programs sharing the machine).

Then the floor: BENCH_POLLERS (2,000) agents whose queues refresh every 20 s (an open
loop: 100 requests a second, each from its own session, sent on time whether or not the
desk keeps up, with the ETag that agent was last given: each learns its own before the
clock starts, as every agent on the floor has polled before) plus BENCH_WORKERS (50)
agents opening the queue and tickets with a think time, and a write to the client every
BENCH_WRITE_EVERY (2) s renewing its queue stamps (so most polls are decided by the rows,
as on a busy floor), for BENCH_MIXED_SECONDS (60); the queue page's p95 under that load
against the 300 ms target.

    make bench
    BENCH_TICKETS=20000 BENCH_SECONDS=5 make bench-http    # a quick run
    BENCH_PARTS=floor BENCH_TICKETS=20000 make bench-http  # the floor alone
"""

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import html
import http.client
import json
import os
import random
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

# The queue bench's harness: importing it sets the environment up and calls django.setup().
from tests.bench import history_bench, run
from tests.bench.run import say, signed_in, step

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
WORKERS = 2
VERSIONS = int(os.environ.get("BENCH_VERSIONS", "10000"))
POLLERS = int(os.environ.get("BENCH_POLLERS", "2000"))
# A write to the client's tickets this often on the floor (the working agents' claims,
# comments, moves): it renews the queue's stamps, as any write the queue prints does.
WRITE_EVERY = float(os.environ.get("BENCH_WRITE_EVERY", "2"))
POLL_EVERY = 20.0  # seconds: the queue's hx-trigger="every 20s"
WORKING = int(os.environ.get("BENCH_WORKERS", "50"))
THINK = (2.0, 10.0)  # seconds an agent reads a page before the next one
MIXED_SECONDS = int(os.environ.get("BENCH_MIXED_SECONDS", "60"))
# What to run (all by default): "client" (the queue through the test client), "cases" (the
# table), "floor"; e.g. BENCH_PARTS=floor for the floor alone.
PARTS = set(os.environ.get("BENCH_PARTS", "client,cases,floor").split(","))
MIXED_TIMEOUT = 30.0  # an answer later than this counts as this late (and as timed out)
QUEUE_P95_TARGET_MS = 300.0
# Queries a page may make (all of the request: session, user, second factor, view): the
# counts at 6f5ec84, which the pages' own tests fix too (e.g. tests/customers/test_search.py).
BUDGET = {"bare": 4, "queue": 10, "ticket": 35, "search": 9, "history": 15, "dashboard": 7}
DEEP_PAGES = 5  # "next" links followed for the deep page
CLK_TCK = os.sysconf("SC_CLK_TCK")
BROWSER = {"X-Forwarded-Proto": "https", "User-Agent": "profiledesk-bench"}
# What htmx sends for the queue's refresh (templates/tickets/_queue_table.html).
REFRESH = {
    "HX-Request": "true",
    "HX-Target": "queue",
    "HX-Current-URL": "https://127.0.0.1/tickets/",
    "X-Desk-Background": "1",
}

from django.conf import settings  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from audit import history  # noqa: E402
from profiledesk.accounts.models import User  # noqa: E402
from profiledesk.clients.models import Client  # noqa: E402
from profiledesk.customers import models as m  # noqa: E402
from profiledesk.tickets import queue_stamps  # noqa: E402
from profiledesk.tickets.models import State, Ticket  # noqa: E402
from tests.bench.urls import QUERIES_HEADER  # noqa: E402

# wrk: every answer must have the expected status; the summary as one JSON line.
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) expected = tonumber(args[1]); unexpected = 0 end
function response(status, headers, body)
  if status ~= expected then unexpected = unexpected + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("unexpected") end
  local e = summary.errors
  io.write(string.format('WRK {"requests": %d, "duration_us": %d, "unexpected": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d}\\n', summary.requests, summary.duration, bad, e.connect, e.read,
    e.write, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99)))
end
"""


class BenchError(SystemExit):
    """The bench measured something other than it meant to: stop, loudly."""


# --- processes and their CPU --------------------------------------------------------------


def cpu_ticks(pid: int, *, children: bool = False) -> int:
    """utime + stime of `pid` (and of its reaped children, for PostgreSQL's postmaster)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the ")": state is field 3, utime 14, stime 15, cutime 16, cstime 17.
    ticks = int(fields[11]) + int(fields[12])
    return ticks + (int(fields[13]) + int(fields[14]) if children else 0)


def child_pids(pid: int) -> list[int]:
    with contextlib.suppress(FileNotFoundError):
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def postmaster_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        directory = cursor.fetchone()[0]
    return int((Path(directory) / "postmaster.pid").read_text().split()[0])


@dataclass
class Meter:
    """CPU of the gunicorn workers, of PostgreSQL, of wrk, and of the whole machine."""

    workers: list[int]
    postmaster: int

    def read(self) -> dict[str, float]:
        busy, total = machine_ticks()
        database = cpu_ticks(self.postmaster, children=True) + sum(
            cpu_ticks(pid) for pid in child_pids(self.postmaster)
        )
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once reaped
        return {
            "workers": sum(cpu_ticks(pid) for pid in self.workers) / CLK_TCK,
            "database": database / CLK_TCK,
            "clients": own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime,
            "busy": busy / CLK_TCK,
            "total": total / CLK_TCK,
            "wall": time.monotonic(),
        }


class Gunicorn:
    """The desk under gunicorn: the project's config, WORKERS sync workers, 127.0.0.1."""

    def __init__(self, log: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        env = os.environ | {"DJANGO_SETTINGS_MODULE": "tests.bench.settings"}
        env.pop("SECURE_SSL_REDIRECT", None)  # production's: HTTPS only (behind a proxy)
        self.log = log
        self.process = subprocess.Popen(  # noqa: S603 - our own argv
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:profiledesk.gunicorn_conf",
                "--no-control-socket",  # one per user by default: other gunicorns may run
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{self.port}",
                "profiledesk.wsgi",
            ],
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited ({self.process.returncode}):\n{self.tail()}")
            with contextlib.suppress(OSError):
                # Any answer will do (/healthz would wait on the absent Celery workers).
                if get(self.port, "/bench/bare/", {})[0]:
                    workers = child_pids(self.process.pid)
                    if len(workers) == WORKERS:
                        self.workers = workers
                        return
            time.sleep(0.3)
        self.stop()
        raise BenchError(f"gunicorn did not answer within 60 s:\n{self.tail()}")

    def check_workers(self) -> None:
        """A worker that was killed (timeout) and replaced would spoil the CPU figures."""
        if sorted(child_pids(self.process.pid)) != sorted(self.workers):
            raise BenchError(f"a gunicorn worker was replaced during the run:\n{self.tail()}")

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


# --- requests -------------------------------------------------------------------------------


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers=BROWSER | headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def session_cookie(user: User) -> str:
    """A session as after a real sign-in with both factors (run.signed_in), as a cookie."""
    key = signed_in(user).cookies[settings.SESSION_COOKIE_NAME].value
    return f"{settings.SESSION_COOKIE_NAME}={key}"


def copies_of_session(cookie: str, count: int) -> list[str]:
    """`count` more sessions of the same signed-in user: one per simulated agent's browser."""
    data = SessionStore(session_key=cookie.split("=", 1)[1]).load()
    store = SessionStore()
    expires = timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    keys = [get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(count)]
    Session.objects.bulk_create(
        [
            Session(session_key=k, session_data=store.encode(data), expire_date=expires)
            for k in keys
        ],
        batch_size=1000,
    )
    return [f"{settings.SESSION_COOKIE_NAME}={k}" for k in keys]


# --- the cases ------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    path: str
    cookie: str
    marker: str  # in every page this case must be: never in the sign-in page
    budget: int  # at most this many queries
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    target: str = ""  # issue 20's, to print beside the measure


@dataclass
class Result:
    case: Case
    rps: float
    p50: float
    p90: float
    p99: float
    cpu_ms: float  # gunicorn workers' CPU a request
    db_ms: float  # PostgreSQL's CPU a request
    queries: int
    size: int
    load: float  # 1-minute load average at the end of the case
    others: float  # cores busy outside this run (other programs on the machine)


def check(port: int, case: Case, *, count: bool = True) -> tuple[int, int, dict[str, str]]:
    """One request of the case, with its query count: the right answer, within budget (a
    session's first request writes it more: `count` once it has been warmed up)."""
    status, headers, body = get(
        port, case.path, case.headers | {"Cookie": case.cookie} | {QUERIES_HEADER: "1"}
    )
    where = f"{case.name}: GET {case.path}"
    if status != case.status:
        raise BenchError(
            f"{where} answered {status} ({headers.get('location', '')}), not {case.status}"
        )
    if case.status == 200 and case.marker.encode() not in body:
        raise BenchError(f"{where}: no {case.marker!r} in the page:\n{body[:400]!r}")
    if QUERIES_HEADER.lower() not in headers:
        raise BenchError(f"{where}: no query count (is gunicorn on tests.bench.settings?)")
    queries = int(headers[QUERIES_HEADER.lower()])
    if count and queries > case.budget:
        raise BenchError(f"{where} made {queries} queries; its budget is {case.budget}")
    return queries, len(body), headers


def load(port: int, case: Case, script: Path, meter: Meter, gunicorn: Gunicorn) -> Result:
    """wrk at CONNECTIONS connections for SECONDS, after the check and a short warm-up."""
    check(port, case, count=False)  # not a page it did not mean, before loading it
    headers = BROWSER | case.headers | {"Cookie": case.cookie}
    command = ["wrk", "-t", "2", "-c", str(CONNECTIONS), "--latency", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    url = f"http://127.0.0.1:{port}{case.path}"
    subprocess.run(  # noqa: S603 - our own argv
        [*command, "-d", "1s", url, "--", str(case.status)], check=True, capture_output=True
    )
    queries, size, _ = check(port, case)
    before = meter.read()
    done = subprocess.run(  # noqa: S603 - our own argv
        [*command, "-d", f"{SECONDS}s", url, "--", str(case.status)],
        check=True,
        capture_output=True,
        text=True,
    )
    after = meter.read()
    gunicorn.check_workers()
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise BenchError(f"{case.name}: wrk printed no summary:\n{done.stdout}\n{done.stderr}")
    summary = json.loads(line[4:])
    errors = {k: summary[k] for k in ("unexpected", "connect", "read", "write", "timeout")}
    if any(errors.values()) or not summary["requests"]:
        raise BenchError(f"{case.name}: wrk saw {errors} in {summary['requests']} requests")
    n = summary["requests"]
    wall = after["wall"] - before["wall"]
    ours = sum(after[k] - before[k] for k in ("workers", "database", "clients"))
    busy = after["busy"] - before["busy"]
    return Result(
        case=case,
        rps=n / (summary["duration_us"] / 1e6),
        p50=summary["p50_us"] / 1000,
        p90=summary["p90_us"] / 1000,
        p99=summary["p99_us"] / 1000,
        cpu_ms=(after["workers"] - before["workers"]) * 1000 / n,
        db_ms=(after["database"] - before["database"]) * 1000 / n,
        queries=queries,
        size=size,
        load=os.getloadavg()[0],
        others=max(0.0, (busy - ours) / wall),
    )


def table(results: list[Result]) -> None:
    bare = results[0]
    say(
        "\n| page | req/s | p50 | p90 | p99 | × bare (req/s) | × bare (p99) | worker CPU/req "
        "| × bare (CPU) "
        "| DB CPU/req | queries | bytes | load 1 min | other cores busy | issue 20's target |"
    )
    say("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        say(
            f"| {r.case.name} | {r.rps:,.0f} | {r.p50:.1f} ms | {r.p90:.1f} ms | {r.p99:.1f} ms "
            f"| {bare.rps / r.rps:.1f}× | {r.p99 / bare.p99:.1f}× "
            f"| {r.cpu_ms:.2f} ms | {r.cpu_ms / bare.cpu_ms:.1f}× "
            f"| {r.db_ms:.2f} ms | {r.queries} | {r.size:,} | {r.load:.1f} | {r.others:.2f} "
            f"| {r.case.target} |"
        )


def next_link(port: int, path: str, cookie: str) -> str:
    """The queue page's rel="next" link, as the agent's browser would follow it."""
    status, _, body = get(port, path, {"Cookie": cookie})
    found = re.search(rb'href="([^"]+)"[^>]*rel="next"', body)
    if status != 200 or not found:
        raise BenchError(f"GET {path}: {status}, no next link to follow")
    return html.unescape(found.group(1).decode())


def refresh_case(cookie: str) -> Case:
    return Case(
        "queue: background refresh (partial)",
        "/tickets/",
        cookie,
        'id="queue"',
        BUDGET["queue"],
        REFRESH,
        target="—",
    )


def refresh_cases(port: int, cookie: str) -> list[Case]:
    """The queue's background refresh as htmx sends it; and, when the desk gives the
    partial an ETag, again with If-None-Match as a browser that kept it sends it."""
    plain = refresh_case(cookie)
    etag = check(port, plain, count=False)[2].get("etag")
    if not etag:
        say("   the refresh has no ETag: no conditional case")
        return [plain]
    conditional = Case(
        "queue: background refresh, unchanged (If-None-Match → 304)",
        "/tickets/",
        cookie,
        "",
        BUDGET["queue"],
        REFRESH | {"If-None-Match": etag},
        status=304,
        target="≤ 1.5× bare",
    )
    return [plain, conditional]


def with_fresh_etag(port: int, case: Case) -> Case:
    """The conditional refresh, its ETag taken just before it runs. The desk's ETag names
    the minute (queue_stamps: SLA and age texts move with it), so a case must run inside
    one minute: wait for the next one when this one has too little left."""
    needed = SECONDS + 1 + 3  # the case, its warm-up, some slack
    left = 60 - time.time() % 60
    if left < needed:
        time.sleep(left + 0.5)
    plain = refresh_case(case.cookie)
    etag = check(port, plain, count=False)[2].get("etag")
    if not etag:
        raise BenchError("the refresh lost its ETag")
    return replace(case, headers=REFRESH | {"If-None-Match": etag})


def cases(port: int) -> list[Case]:
    northwind = Client.objects.get(slug="northwind")
    agent_user = User.objects.get(username="northwind.agent")
    agent = session_cookie(agent_user)
    supervisor = session_cookie(run.supervisor_of_every_client())
    compliance_user = User.objects.get(username="northwind.compliance")
    TOTPDevice.objects.get_or_create(
        user=compliance_user, name="bench", defaults={"confirmed": True}
    )
    compliance = session_cookie(compliance_user)
    reference = Ticket.objects.filter(client=northwind).values_list("reference", flat=True)[0]
    deep = "/tickets/"
    for _ in range(DEEP_PAGES):
        deep = next_link(port, deep, agent)
    tickets = {
        state: Ticket.objects.filter(client=northwind, state=state).order_by("pk").first()
        for state in (State.VERIFYING, State.READY)
    }
    email = (
        m.EmailAddress.objects.filter(customer__client=northwind)
        .order_by("pk")
        .values_list("email", flat=True)
        .first()
    )
    surname = (
        m.Customer.objects.filter(client=northwind)
        .order_by("pk")
        .values_list("search_name", flat=True)
        .first()
    ).split()[-1]
    queue_target = "≥ 150/s, ≤ 3× bare"
    found = [
        Case(
            "bare view: one indexed query",
            f"/bench/bare/?ref={reference}",
            agent,
            "(",
            BUDGET["bare"],
        ),
        Case(
            "queue: first page",
            "/tickets/",
            agent,
            'data-testid="queue"',
            BUDGET["queue"],
            target=queue_target,
        ),
        Case(
            f"queue: page {DEEP_PAGES + 1} (next link × {DEEP_PAGES})",
            deep,
            agent,
            'data-testid="queue"',
            BUDGET["queue"],
            target=queue_target,
        ),
        Case(
            "queue: state = new",
            "/tickets/?state=new",
            agent,
            'data-testid="queue"',
            BUDGET["queue"],
            target=queue_target,
        ),
        *refresh_cases(port, agent),
        *(
            Case(
                f"ticket page: {state.label.lower()}",
                f"/tickets/{ticket.reference}/",
                agent,
                'data-testid="sla"',
                BUDGET["ticket"],
                target="≥ 150/s",
            )
            for state, ticket in tickets.items()
            if ticket is not None
        ),
        Case(
            "customer search: surname",
            f"/customers/?q={surname}",
            agent,
            'data-testid="search-results"',
            BUDGET["search"],
            target="≥ 200/s",
        ),
        Case(
            "customer search: exact e-mail",
            f"/customers/?q={email}",
            agent,
            'data-testid="search-results"',
            BUDGET["search"],
            target="≥ 300/s",
        ),
        Case(
            f"history: a customer at {VERSIONS:,} versions",
            f"/audit/customers/{history_customer(northwind).pk}/history/",
            compliance,
            'data-testid="group"',
            BUDGET["history"],
            target="≤ 3× bare",
        ),
        Case(
            "dashboard: supervisor (cached)",
            "/dashboard/",
            supervisor,
            'data-testid="panel-',
            BUDGET["dashboard"],
            target="—",
        ),
    ]
    return found


def history_customer(client: Client) -> m.Customer:
    """The customer whom history_bench gives its versions (the same choice)."""
    return (
        m.Customer.objects.filter(client=client, cards__isnull=False, bank_accounts__isnull=False)
        .order_by("pk")
        .first()
    ) or m.Customer.objects.filter(client=client).order_by("pk").first()


def seed_history() -> None:
    northwind = Client.objects.get(slug="northwind")
    customer = history_customer(northwind)
    started = step(f"{VERSIONS:,} versions for customer {customer.number} (history_bench's)")
    agent = User.objects.get(username="northwind.agent")
    written = history_bench.seed_versions(customer, agent, VERSIONS)
    with connection.cursor() as cursor:
        for model in history.HISTORY_MODELS:
            cursor.execute(f"VACUUM (ANALYZE) {model.history.model._meta.db_table}")
    say(f"   {written:,} written ({time.monotonic() - started:.1f} s)")


# --- the floor: many pollers and working agents at once --------------------------------------


async def aget(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    """One GET on its own connection (gunicorn's sync workers close it after the answer)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in (BROWSER | headers).items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in head[1:] if ": " in line)
    return int(head[0].split()[1]), {k.lower(): v for k, v in fields.items()}


@dataclass
class Samples:
    latencies: list[float] = field(default_factory=list)  # ms
    statuses: dict[int, int] = field(default_factory=dict)
    timeouts: int = 0

    def add(self, ms: float, status: int) -> None:
        self.latencies.append(ms)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return (
            ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else 0.0
        )


async def timed(
    port: int, path: str, headers: dict[str, str], sent_at: float, into: Samples, gate
) -> dict[str, str]:
    """A request whose latency counts from when it was due (`sent_at`), not when a free
    connection let it go: an open loop does not forgive a desk that falls behind."""
    loop = asyncio.get_running_loop()

    async def when_a_socket_is_free() -> tuple[int, dict[str, str]]:
        async with gate:
            return await aget(port, path, headers)

    # The wait for a free socket counts against the timeout too: a late answer is late.
    left = max(0.001, MIXED_TIMEOUT - (loop.time() - sent_at))
    try:
        status, answer = await asyncio.wait_for(when_a_socket_is_free(), left)
    except (TimeoutError, OSError):
        into.timeouts += 1
        into.add(MIXED_TIMEOUT * 1000, 0)
        return {}
    into.add((loop.time() - sent_at) * 1000, status)
    return answer


async def floor(
    port: int,
    pollers: list[str],
    working: list[str],
    etags: dict[str, str | None],
    refs: list[str],
):
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(1000)  # open sockets at once (gunicorn's backlog is 2,048)
    polls, queue, tickets = Samples(), Samples(), Samples()
    start = loop.time()
    deadline = start + MIXED_SECONDS

    async def poll(cookie: str, due: float) -> None:
        sent = REFRESH | {"Cookie": cookie}
        if etags[cookie]:
            sent["If-None-Match"] = etags[cookie]
        answer = await timed(port, "/tickets/", sent, due, polls, gate)
        if answer.get("etag"):
            etags[cookie] = answer["etag"]

    async def pollers_loop() -> None:
        interval = POLL_EVERY / len(pollers)
        pending = set()
        k = 0
        while (due := start + k * interval) < deadline:
            await asyncio.sleep(max(0.0, due - loop.time()))
            task = asyncio.create_task(poll(pollers[k % len(pollers)], due))
            pending.add(task)
            task.add_done_callback(pending.discard)
            k += 1
        await asyncio.gather(*pending)

    async def agent(cookie: str, rng: random.Random) -> None:
        await asyncio.sleep(rng.uniform(0, THINK[1]))
        while loop.time() < deadline:
            await timed(port, "/tickets/", {"Cookie": cookie}, loop.time(), queue, gate)
            await asyncio.sleep(rng.uniform(*THINK))
            if loop.time() >= deadline:
                break
            path = f"/tickets/{rng.choice(refs)}/"
            await timed(port, path, {"Cookie": cookie}, loop.time(), tickets, gate)
            await asyncio.sleep(rng.uniform(*THINK))

    async def writes() -> None:
        # The working agents' writes, as the queue sees them: each renews the client's
        # stamps (queue_stamps), so the polls after it are decided by the rows.
        northwind = await asyncio.to_thread(lambda: Client.objects.get(slug="northwind").pk)
        while loop.time() < deadline:
            await asyncio.to_thread(queue_stamps.bump, client_ids=[northwind])
            await asyncio.sleep(WRITE_EVERY)

    await asyncio.gather(
        pollers_loop(), writes(), *(agent(c, random.Random(i)) for i, c in enumerate(working))
    )
    return polls, queue, tickets


def mixed(port: int, meter: Meter, gunicorn: Gunicorn) -> None:
    agent = session_cookie(User.objects.get(username="northwind.agent"))
    step(
        f"The floor: {POLLERS:,} agents' queues refreshing every {POLL_EVERY:.0f} s "
        f"({POLLERS / POLL_EVERY:.0f} a second, open loop) + {WORKING} agents working "
        f"(think {THINK[0]:.0f}-{THINK[1]:.0f} s), {MIXED_SECONDS} s"
    )
    pollers = copies_of_session(agent, POLLERS)
    working = copies_of_session(agent, WORKING)
    # The steady state: each poller holds the ETag of its last refresh (every agent on the
    # floor has polled before), its own (the ETag names the session). Learned here, four
    # at a time, before the clock starts.
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        learned = list(
            pool.map(lambda c: check(port, refresh_case(c), count=False)[2].get("etag"), pollers)
        )
    etags = dict(zip(pollers, learned, strict=True))
    say(
        f"   {sum(1 for e in learned if e):,} of {len(pollers):,} pollers hold their list's "
        f"ETag ({time.monotonic() - started:.0f} s to learn them)"
    )
    northwind = Client.objects.get(slug="northwind")
    refs = list(
        Ticket.objects.filter(
            client=northwind, state__in=[State.VERIFYING, State.READY]
        ).values_list("reference", flat=True)[:200]
    )
    before = meter.read()
    polls, queue, tickets = asyncio.run(floor(gunicorn.port, pollers, working, etags, refs))
    after = meter.read()
    gunicorn.check_workers()
    wall = after["wall"] - before["wall"]
    cores = {k: (after[k] - before[k]) / wall for k in ("workers", "database", "clients", "busy")}
    say(
        f"   load average {os.getloadavg()[0]:.1f}; cores busy: gunicorn {cores['workers']:.2f}, "
        f"PostgreSQL {cores['database']:.2f}, load generator {cores['clients']:.2f}, machine "
        f"{cores['busy']:.2f} of {os.cpu_count()}"
    )
    say("\n| requests | sent | sent/s | answered/s | p50 | p95 | p99 | answers | timed out |")
    say("|---|---:|---:|---:|---:|---:|---:|---|---:|")
    for name, s in (
        ("refresh polls", polls),
        ("queue page (working agents)", queue),
        ("ticket page (working agents)", tickets),
    ):
        say(
            f"| {name} | {len(s.latencies):,} | {len(s.latencies) / MIXED_SECONDS:.1f} "
            f"| {(len(s.latencies) - s.timeouts) / wall:.1f} "
            f"| {s.pct(50):.0f} ms | {s.pct(95):.0f} ms | {s.pct(99):.0f} ms "
            f"| {dict(sorted(s.statuses.items()))} | {s.timeouts} |"
        )
    verdict = "met" if queue.pct(95) < QUEUE_P95_TARGET_MS else "NOT met"
    say(
        f"\nQueue page p95 under the floor's load: {queue.pct(95):.0f} ms "
        f"(target < {QUEUE_P95_TARGET_MS:.0f} ms: {verdict})."
    )
    wrong = {s: n for s, n in (polls.statuses | queue.statuses).items() if s not in (200, 304, 0)}
    if wrong:
        raise BenchError(f"the floor saw answers other than 200/304: {wrong}")


def main() -> None:
    if not shutil.which("wrk"):
        raise BenchError("wrk is needed (Debian package wrk: `make system-bench`)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    run.seed()
    if "client" in PARTS:
        run.through_test_client()
    seed_history()
    with tempfile.TemporaryDirectory(prefix="profiledesk-bench-http-") as tmp:
        script = Path(tmp) / "check.lua"
        script.write_text(WRK_SCRIPT)
        log = Path(os.environ.get("BENCH_GUNICORN_LOG", Path(tmp) / "gunicorn.log"))
        started = step(
            f"gunicorn: {WORKERS} workers, profiledesk/gunicorn_conf.py, tests.bench.settings"
        )
        gunicorn = Gunicorn(log)
        try:
            say(
                f"   127.0.0.1:{gunicorn.port}, workers {gunicorn.workers} "
                f"({time.monotonic() - started:.1f} s)"
            )
            meter = Meter(gunicorn.workers, postmaster_pid())
            found = cases(gunicorn.port)
            step(
                f"Over HTTP: wrk, {CONNECTIONS} connections, {SECONDS} s a case after 1 s of "
                f"warm-up ({Ticket.objects.count():,} tickets; PostgreSQL {run.pg_version()}; "
                f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} before)"
            )
            results = []
            for case in found if "cases" in PARTS else []:
                if case.status == 304:
                    case = with_fresh_etag(gunicorn.port, case)
                results.append(load(gunicorn.port, case, script, meter, gunicorn))
                say(f"   {case.name}: {results[-1].rps:,.0f}/s")
            if results:
                table(results)
            if "floor" in PARTS:
                mixed(gunicorn.port, meter, gunicorn)
        finally:
            gunicorn.stop()


if __name__ == "__main__":
    main()
