"""`make bench` (history part): the history pages with 10,000 versions for one customer.

Runs inside tests/with_services.sh (a throwaway PostgreSQL and Redis) with the
production settings module, through the queue bench's harness (tests/bench/run.py:
settings, signed-in client, `measure`). It migrates, seeds the demo clients, staff and
BENCH_CUSTOMERS customers (seed_demo), then gives one Northwind customer
BENCH_VERSIONS (10,000) profile versions over the last 60 days — phones, e-mails,
preferences, cards and bank accounts, written by BENCH_VERSIONS / 4 tickets with a
verification attempt each — as direct bulk inserts into the historical tables (a bench
only: the desk itself never writes history that way). Then it times, as the signed-in
compliance officer, the customer's history page (first page, a page 5,000 versions
deep through its cursor, filtered pages), the ticket audit view and the staff activity
view, next to the bare view (one indexed query) in the same run: median and p95 of
BENCH_REPEAT requests a case and the queries each made.

    make bench
    BENCH_VERSIONS=2000 BENCH_REPEAT=10 \
        tests/with_services.sh .venv/bin/python -m tests.bench.history_bench
"""

import datetime as dt
import os
import random
import sys
import time
from io import StringIO
from pathlib import Path

# The queue bench's harness: importing it sets the environment up and calls django.setup().
from tests.bench import run
from tests.bench.run import _STATIC, Case, pg_version, say, signed_in, step

VERSIONS = int(os.environ.get("BENCH_VERSIONS", "10000"))
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "2000"))
DAYS = 60
PER_TICKET = 4


from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from audit import history  # noqa: E402
from profiledesk.accounts.models import User  # noqa: E402
from profiledesk.clients.models import Client  # noqa: E402
from profiledesk.customers import models as m  # noqa: E402
from profiledesk.tickets.models import Channel, State, Ticket  # noqa: E402
from verification.models import Attempt  # noqa: E402


def _tickets(customer: m.Customer, agent: User, count: int, now: dt.datetime) -> list[Ticket]:
    """`count` applied tickets of the customer (a bench shortcut: no services, no events)."""
    from simple_history.utils import bulk_create_with_history

    rng = random.Random(7)
    tickets = [
        Ticket(
            reference=f"HB-{n:06d}",
            client_id=customer.client_id,
            customer=customer,
            channel=rng.choice(Channel.values),
            category=rng.choice(["contact", "preferences", "billing"]),
            state=State.CLOSED,
            created_by=agent,
            sla_due_at=now,
            created_at=now,
            updated_at=now,
        )
        for n in range(1, count + 1)
    ]
    bulk_create_with_history(tickets, Ticket, batch_size=1000, default_user=agent)
    return list(Ticket.objects.filter(reference__startswith="HB-").order_by("pk"))


def _historical(model, row, **fields):
    """A historical row of `row` with `fields` changed (every tracked field copied)."""
    history_model = model.history.model
    values = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}
    return history_model(**(values | fields))


def seed_versions(customer: m.Customer, agent: User, total: int) -> int:
    """`total` versions of the customer's rows over the last DAYS days, PER_TICKET a ticket."""
    now = timezone.now()
    tickets = _tickets(customer, agent, max(1, total // PER_TICKET), now)
    Attempt.objects.bulk_create(
        [
            Attempt(ticket=t, customer=customer, method="otp", result="passed", staff=agent, at=now)
            for t in tickets
        ],
        batch_size=1000,
    )
    rows = {
        m.PhoneNumber: customer.phones.first(),
        m.EmailAddress: customer.emails.first(),
        m.Preferences: m.Preferences.objects.filter(customer=customer).first(),
        m.BankAccount: customer.bank_accounts.first(),
        m.PaymentCard: customer.cards.first(),
    }
    rows = {model: row for model, row in rows.items() if row is not None}
    rng = random.Random(11)
    batches: dict[type, list] = {model: [] for model in rows}
    start = now - dt.timedelta(days=DAYS)
    step_seconds = DAYS * 86400 / total
    for n in range(total):
        ticket = tickets[min(n // PER_TICKET, len(tickets) - 1)]
        model = rng.choice(list(rows))
        row = rows[model]
        change = {}
        if model is m.PhoneNumber:
            change = {"number": f"+4477009{n:05d}"}
        elif model is m.EmailAddress:
            change = {"email": f"bench{n}@example.org"}
        elif model is m.Preferences:
            change = {"marketing_email": n % 2 == 0}
        elif model in (m.BankAccount, m.PaymentCard):
            change = {"is_default": n % 2 == 0}
        batches[model].append(
            _historical(
                model,
                row,
                **change,
                history_date=start + dt.timedelta(seconds=n * step_seconds),
                history_type="~",
                history_user_id=agent.pk,
                history_change_reason=f"{ticket.reference} applied",
            )
        )
    for model, batch in batches.items():
        model.history.model.objects.bulk_create(batch, batch_size=2000)
    return sum(len(b) for b in batches.values())


def explain_first_page(customer: m.Customer) -> None:
    """The plan of the first page's keys query: an index scan per table, and no sort of
    all the customer's versions."""
    with CaptureQueriesContext(connection) as queries:
        history._keys(
            models_=history.HISTORY_MODELS,
            scope=history._scope_customer(customer),
            limit=history.PAGE_SIZE + 1,
        )
    # PostgreSQL's driver gives the statement with its parameters bound: runnable as is.
    sql = queries.captured_queries[0]["sql"]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        plan = [row[0] for row in cursor.fetchall()]
    ours = sum("Index" in line and "_cust on" in line for line in plan)
    sorts = sum("Sort Key" in line for line in plan)
    step("EXPLAIN ANALYZE of the first page's keys query")
    say(
        f"   {ours} of {len(history.HISTORY_MODELS)} tables read through their "
        f"(customer, history_date, history_id) index; {sorts} sort(s) (of at most "
        f"{len(history.HISTORY_MODELS) * (history.PAGE_SIZE + 1)} keys); {plan[-1].strip()}"
    )


def main() -> None:
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

    northwind = Client.objects.get(slug="northwind")
    customer = (
        m.Customer.objects.filter(
            client=northwind, cards__isnull=False, bank_accounts__isnull=False
        )
        .order_by("pk")
        .first()
    ) or m.Customer.objects.filter(client=northwind).order_by("pk").first()
    agent = User.objects.get(username="northwind.agent")
    compliance = User.objects.get(username="northwind.compliance")
    TOTPDevice.objects.get_or_create(user=compliance, name="bench", defaults={"confirmed": True})

    started = step(f"{VERSIONS:,} versions for customer {customer.number}")
    written = seed_versions(customer, agent, VERSIONS)
    with connection.cursor() as cursor:
        for model in history.HISTORY_MODELS:
            cursor.execute(f"VACUUM (ANALYZE) {model.history.model._meta.db_table}")
    total = sum(
        model.history.filter(**{history.customer_column(model): customer.pk}).count()
        for model in history.HISTORY_MODELS
    )
    say(
        f"   {written:,} written, {total:,} in all for the customer "
        f"({time.monotonic() - started:.1f} s)"
    )

    explain_first_page(customer)
    depth = min(5000, total - 1)
    keys = history._keys(
        models_=history.HISTORY_MODELS,
        scope=history._scope_customer(customer),
        limit=depth + 1,
    )
    deep = history.Cursor(keys[-1][2], keys[-1][0], keys[-1][1]).encode()
    http = signed_in(compliance)
    url = f"/audit/customers/{customer.pk}/history/"
    month_ago = (timezone.now() - dt.timedelta(days=30)).date()
    some_ticket = Ticket.objects.filter(reference__startswith="HB-").order_by("pk")[1]
    reference = Ticket.objects.filter(client=northwind).values_list("reference", flat=True)[0]
    cases = [
        Case("bare view: one indexed query", http, f"/bench/bare/?ref={reference}"),
        Case("history: first page", http, url),
        Case(f"history: {depth:,} versions in (cursor)", http, f"{url}?after={deep}"),
        Case("history: billing only", http, f"{url}?category=billing"),
        Case("history: one staff member", http, f"{url}?staff={agent.pk}"),
        Case(
            "history: a 3-day range a month ago",
            http,
            f"{url}?date_from={month_ago}&date_to={month_ago + dt.timedelta(days=2)}",
        ),
        Case("history: security only (no rows)", http, f"{url}?category=security"),
        Case("ticket audit view", http, f"/audit/tickets/{some_ticket.reference}/"),
        Case("staff activity: last 7 days", http, f"/audit/staff/{agent.pk}/activity/"),
    ]
    step(
        f"Server time through the test client: {run.REPEAT} requests a case after "
        f"{run.WARM_UP} warm-up ({total:,} versions for one customer; PostgreSQL "
        f"{pg_version()}; {os.cpu_count()} CPUs)"
    )
    run.report(cases, what="history")


if __name__ == "__main__":
    sys.exit(main())
