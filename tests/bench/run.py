"""`make bench`: the queue page's server time with a million tickets (docs/design.md §3).

Runs inside tests/with_services.sh (a throwaway PostgreSQL and Redis; DATABASE_URL and
REDIS_URL come from there) with the production settings module. It migrates, seeds the
demo clients, staff and customers (seed_demo) and BENCH_TICKETS tickets (seed_tickets,
1,000,000 by default), then times the queue page through Django's test client — the
whole request: middleware, session, second factor, queries, template — as a signed-in,
verified agent, for several filter combinations, next to a bare view doing one indexed
query in the same run. It prints the median and 95th percentile of BENCH_REPEAT
requests (30 by default) a case, and how many queries each made.

    make bench
    BENCH_TICKETS=100000 BENCH_REPEAT=20 make bench    # a quicker run
"""

import atexit
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

# Collected static files, uploads and the demo logins live only as long as the run.
_STATIC = tempfile.mkdtemp(prefix="profiledesk-bench-static-")
_MEDIA = tempfile.mkdtemp(prefix="profiledesk-bench-media-")
atexit.register(shutil.rmtree, _STATIC, ignore_errors=True)
atexit.register(shutil.rmtree, _MEDIA, ignore_errors=True)
os.environ["DJANGO_SETTINGS_MODULE"] = "profiledesk.settings.base"
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ["DEMO_MODE"] = "1"  # seed_demo and seed_tickets refuse to run otherwise
os.environ["DEBUG"] = "0"  # as in production: no query log kept in memory
os.environ["SECURE_SSL_REDIRECT"] = "0"  # the test client speaks plain HTTP
os.environ["STATIC_ROOT"] = _STATIC
os.environ["PRIVATE_MEDIA_ROOT"] = _MEDIA

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from profiledesk.accounts.middleware import SESSION_SEEN, SESSION_STARTED  # noqa: E402
from profiledesk.accounts.models import User  # noqa: E402
from profiledesk.clients.models import Client, Membership  # noqa: E402
from profiledesk.dashboards.build import figures_rebuild_recent  # noqa: E402
from profiledesk.demo.tickets import seed_tickets  # noqa: E402
from profiledesk.tickets.models import OPEN_STATES, State, Ticket  # noqa: E402
from profiledesk.tickets.selectors import SORT_KEYS, Cursor, Sort  # noqa: E402

TICKETS = int(os.environ.get("BENCH_TICKETS", "1000000"))
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "20000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "30"))
WARM_UP = 3


def say(text: str) -> None:
    print(text, flush=True)  # noqa: T201 - a command-line report


def step(title: str):
    say(f"\n== {title}")
    return time.monotonic()


def signed_in(user: User) -> HttpClient:
    """A client with a session that has passed both factors, as after a real sign-in."""
    http = HttpClient()
    http.force_login(user)
    session = http.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.filter(user=user).first().persistent_id
    now = int(time.time())
    session[SESSION_STARTED] = now
    session[SESSION_SEEN] = now
    session.save()
    return http


def supervisor_of_every_client() -> User:
    user, _ = User.objects.get_or_create(username="bench.supervisor", defaults={"first_name": "B"})
    user.groups.add(Group.objects.get(name="supervisor"))
    for client in Client.objects.all():
        Membership.objects.get_or_create(user=user, client=client)
    TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    return user


@dataclass
class Case:
    name: str
    http: HttpClient
    url: str
    headers: dict | None = None


@dataclass
class Timing:
    case: Case
    median_ms: float
    p95_ms: float
    queries: int
    size: int


def measure(case: Case) -> Timing:
    headers = case.headers or {}
    for _ in range(WARM_UP):
        response = case.http.get(case.url, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"{case.name}: {case.url} answered {response.status_code}")
    samples = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        case.http.get(case.url, headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = case.http.get(case.url, headers=headers)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return Timing(case, statistics.median(samples), p95, len(queries), len(response.content))


def deep_cursor(client: Client, depth: int, sort: str = Sort.DUE) -> str:
    """The cursor of the `depth`-th open ticket of `client` in `sort`: a page far down."""
    keys = [field for field, _descending in SORT_KEYS[sort]]
    order = [("-" if descending else "") + field for field, descending in SORT_KEYS[sort]]
    row = (
        Ticket.objects.filter(client=client, state__in=OPEN_STATES)
        .order_by(*order, "id")
        .values_list(*keys, "id")[depth : depth + 1]
        .get()
    )
    return Cursor(sort, tuple(row[:-1]), row[-1]).encode()


def report(cases: list[Case], *, what: str) -> None:
    """Time every case (through the bench's URLs) and print the table."""
    with override_settings(ROOT_URLCONF="tests.bench.urls"):
        timings = [measure(case) for case in cases]
    width = max(len(case.name) for case in cases)
    bare = timings[0].median_ms or 1.0  # the first case: the bare view of the same run
    say(
        f"{'case':<{width}}  {'median':>9}  {'p95':>9}  {'× bare':>6}  {'queries':>7}  {'bytes':>7}"
    )
    for t in timings:
        say(
            f"{t.case.name:<{width}}  {t.median_ms:>6.1f} ms  {t.p95_ms:>6.1f} ms  "
            f"{t.median_ms / bare:>6.1f}  {t.queries:>7}  {t.size:>7,}"
        )
    slowest = max(t.p95_ms for t in timings)
    say(f"\nSlowest {what} p95: {slowest:.1f} ms (target: well under 1,000 ms).")


def pg_version() -> str:
    number = connection.cursor().connection.info.server_version  # e.g. 150018
    return f"{number // 10000}.{number % 10000}"


def seed() -> None:
    """Migrate, collect static files, seed the demo and BENCH_TICKETS tickets, and leave the
    database as a live one would be (statistics, the dashboards' daily figures)."""
    started = step("Migrate and collect static files")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    say(f"   {time.monotonic() - started:.1f} s")

    started = step(f"seed_demo --customers {CUSTOMERS:,}")
    out = StringIO()
    call_command(
        "seed_demo", customers=CUSTOMERS, logins_file=Path(_STATIC) / "logins.txt", stdout=out
    )
    say(f"   {out.getvalue().strip().splitlines()[-1]} ({time.monotonic() - started:.1f} s)")

    step(f"seed_tickets --count {TICKETS:,}")
    result = seed_tickets(count=TICKETS, stdout=sys.stdout)
    rate = result.tickets / result.seconds if result.seconds else 0
    say(
        f"   {result.tickets:,} tickets, {result.items:,} change items, {result.events:,} "
        f"timeline events in {result.seconds:.1f} s ({rate:,.0f} a second)"
    )
    started = step("VACUUM ANALYZE the ticket tables (what autovacuum does after a load)")
    with connection.cursor() as cursor:
        for table in ("tickets_ticket", "tickets_changeitem", "tickets_ticketevent"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    say(f"   {time.monotonic() - started:.1f} s")

    started = step("The dashboards' daily figures of the last 31 days (what beat keeps)")
    rows = figures_rebuild_recent(days=31)
    took = time.monotonic() - started
    client_days = 31 * Client.objects.filter(is_active=True).count()
    say(f"   {rows:,} rows in {took:.1f} s ({took / client_days:.2f} s a client-day)")


def main() -> None:
    seed()
    through_test_client()


def through_test_client() -> None:
    """The queue, ticket and dashboard pages through the test client (server time only)."""
    total = Ticket.objects.count()
    open_total = Ticket.objects.filter(state__in=OPEN_STATES).count()
    northwind = Client.objects.get(slug="northwind")
    northwind_open = Ticket.objects.filter(client=northwind, state__in=OPEN_STATES).count()
    depth = min(5000, northwind_open // 2)  # a page far down the queue
    agent = User.objects.get(username="northwind.agent")
    http, supervisor = signed_in(agent), signed_in(supervisor_of_every_client())
    some_reference = Ticket.objects.filter(client=northwind).values_list("reference", flat=True)[0]
    background = {"HX-Request": "true", "X-Desk-Background": "1"}
    today = timezone.now().date().isoformat()
    cases = [
        Case("bare view: one indexed query", http, f"/bench/bare/?ref={some_reference}"),
        Case("queue: no filter", http, "/tickets/"),
        Case("queue: htmx refresh (partial)", http, "/tickets/", background),
        Case(
            "queue: page 2 (cursor)",
            http,
            f"/tickets/?after={deep_cursor(northwind, min(49, northwind_open - 1))}",
        ),
        Case(
            f"queue: {depth:,} tickets in (cursor)",
            http,
            f"/tickets/?after={deep_cursor(northwind, depth)}",
        ),
        Case("queue: state = new", http, "/tickets/?state=new"),
        Case("queue: state = escalated", http, "/tickets/?state=escalated"),
        Case("queue: unassigned", http, "/tickets/?assignee=none"),
        Case("queue: assigned to me", http, "/tickets/?assignee=me"),
        Case("queue: SLA breached", http, "/tickets/?sla=breached"),
        Case("queue: due in the next hour", http, "/tickets/?sla=due_soon"),
        Case("queue: channel api + risk critical", http, "/tickets/?channel=api&risk=critical"),
        Case(
            "queue: organisation + approved + chat",
            http,
            "/tickets/?category=organisation&state=approved&channel=chat",
        ),
        Case("queue: sorted by age", http, "/tickets/?sort=age"),
        Case("queue: sorted by risk", http, "/tickets/?sort=risk"),
        Case(
            f"queue: by age, {depth:,} tickets in (cursor)",
            http,
            f"/tickets/?sort=age&after={deep_cursor(northwind, depth, Sort.AGE)}",
        ),
        Case(
            f"queue: by risk, {depth:,} tickets in (cursor)",
            http,
            f"/tickets/?sort=risk&after={deep_cursor(northwind, depth, Sort.RISK)}",
        ),
        Case("queue: by risk, state = new", http, "/tickets/?sort=risk&state=new"),
        Case("queue: by age, unassigned", http, "/tickets/?sort=age&assignee=none"),
        Case("queue: supervisor of both clients", supervisor, "/tickets/"),
        Case("queue: both clients, by risk", supervisor, "/tickets/?sort=risk"),
        Case(
            "queue: both clients, critical, unassigned",
            supervisor,
            "/tickets/?risk=critical&assignee=none",
        ),
        # The dashboard's links into the queue (issue 16).
        Case("queue: opened over 3 days ago (age)", http, "/tickets/?age=gt3d"),
        Case(
            "queue: both clients, opened on a day (dates)",
            supervisor,
            f"/tickets/?opened_since={today}&opened_until={today}",
        ),
        # One ticket, one screen (the sizing in docs/operations.md reads these).
        *(
            Case(f"ticket page: {state.label.lower()}", http, f"/tickets/{reference}/")
            for state in (State.VERIFYING, State.READY)
            for reference in Ticket.objects.filter(client=northwind, state=state)
            .order_by("pk")
            .values_list("reference", flat=True)[:1]
        ),
        # The dashboards: the now panels' live aggregates (and the figures' daily table).
        Case("dashboard: both clients", supervisor, "/dashboard/"),
        Case("dashboard: one client", supervisor, f"/dashboard/?client={northwind.pk}"),
        Case("dashboard: a panel's CSV", supervisor, "/dashboard/backlog-state.csv"),
    ]
    step(
        f"Server time through the test client: {REPEAT} requests a case after {WARM_UP} warm-up "
        f"({total:,} tickets, {open_total:,} open; PostgreSQL {pg_version()}; "
        f"{os.cpu_count()} CPUs)"
    )
    report(cases, what="queue")


if __name__ == "__main__":
    main()
