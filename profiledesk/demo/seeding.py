"""What `seed_demo` does: the clients and their staff, then the customers, in chunks of
a few thousand, each chunk one transaction of bulk inserts (with history), so that
100,000 customers take a minute or two and an interrupted run leaves whole customers.

Re-running is safe: clients, staff and the demo connectors are fetched or created, and
a customer whose number already exists in its client is skipped.
"""

import datetime as dt
import gc
import multiprocessing
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, connections, models, transaction
from django.utils import timezone

from profiledesk.accounts.roles import Role
from profiledesk.customers import models as m
from profiledesk.vault.adapters import BankToken, Vault, get_vault
from verification.answers import hash_answer

from .avatars import avatar_images_ensure
from .connectors import demo_connectors_ensure
from .history import Change, create_with_history
from .pools import SECURITY_QUESTIONS, build_pools
from .profiles import (
    SECTION_MODELS,
    ClientStaff,
    Profile,
    SeedContext,
    customer_number,
    profile_build,
)
from .staff import DEMO_CLIENTS, DemoLogin, client_ensure, logins_text, logins_write, staff_ensure

SEED = 20240601
CHUNK = 2000  # customers a transaction
BATCH = 2000  # rows an INSERT
# When the desk took each client on: its customers' history starts with the import.
ONBOARDED_DAYS_AGO = {"northwind": 400, "solaris": 380}
# Below this many customers, forking costs more than it saves.
PARALLEL_FROM = 10_000

Progress = Callable[[str], None]


@dataclass
class SeedResult:
    logins: list[DemoLogin]
    customers_created: dict[str, int] = field(default_factory=dict)
    changes: int = 0


def split_customers(total: int, parts: int) -> list[int]:
    """`total` customers over `parts` clients, the first ones taking the remainder."""
    return [total // parts + (1 if n < total % parts else 0) for n in range(parts)]


def _batches(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def answer_hashes() -> tuple[tuple[str, str], ...]:
    """One hash a demo answer. Hashing is slow on purpose, so it is done once a run and
    the hashes are shared by every customer (salts repeat: acceptable for a demo only)."""
    return tuple((question, hash_answer(answer)) for question, answer in SECURITY_QUESTIONS)


def _tokenize_ibans(vault: Vault, ibans: list[str]) -> list[BankToken]:
    bulk = getattr(vault, "tokenize_ibans", None)
    return bulk(ibans) if bulk else [vault.tokenize_iban(iban) for iban in ibans]


def _write_chunk(ctx: SeedContext, indexes: Iterable[int]) -> int:
    """Insert the customers `indexes` of one client with all their sections and history."""
    profiles: list[Profile] = [profile_build(ctx, index) for index in indexes]
    changes: dict[type[models.Model], list[Change]] = defaultdict(list)
    for profile in profiles:
        for change in profile.changes:
            changes[type(change.obj)].append(change)

    create_with_history(m.Customer, [p.customer for p in profiles], changes[m.Customer], BATCH)
    for profile in profiles:
        customer_id = profile.customer.pk
        for objs in profile.sections.values():
            for obj in objs:
                obj.customer_id = customer_id

    accounts = [pair for profile in profiles for pair in profile.ibans]
    tokens = _tokenize_ibans(ctx.vault, [number for _, number in accounts])
    for (account, _), token in zip(accounts, tokens, strict=True):
        account.vault_token = token.token
        account.fingerprint = token.fingerprint
        account.iban_masked = token.iban_masked
        account.country = token.country

    for model in SECTION_MODELS:
        if model is m.PaymentCard:  # the billing addresses have their ids by now
            for profile in profiles:
                for card in profile.sections.get(m.PaymentCard, []):
                    card.billing_address_id = profile.cards_billed_to.pk
        objs = [obj for profile in profiles for obj in profile.sections.get(model, [])]
        create_with_history(model, objs, changes[model], BATCH)
    return sum(len(model_changes) for model_changes in changes.values())


def _seed_client(ctx: SeedContext, indexes: list[int], progress: Progress) -> int:
    """Seed one client's customers `indexes`, chunk by chunk; the number of past changes."""
    started, done, changes = time.monotonic(), 0, 0
    for chunk in _batches(indexes, CHUNK):
        # A chunk makes a few hundred thousand objects that all live until its end: the
        # cyclic GC would walk them again and again for nothing.
        gc.disable()
        try:
            with transaction.atomic():
                changes += _write_chunk(ctx, chunk)
        finally:
            gc.enable()
        done += len(chunk)
        elapsed = time.monotonic() - started
        progress(f"  {ctx.client.slug}: {done:>7,} / {len(indexes):,} customers  ({elapsed:.1f} s)")
    return changes


def _seed_in_processes(work: list[tuple[SeedContext, list[int]]], progress: Progress) -> int:
    """One forked process a client, each with its own connection: the machine's two
    cores build rows in parallel while PostgreSQL takes them."""
    mp = multiprocessing.get_context("fork")
    results = mp.SimpleQueue()

    def run(ctx: SeedContext, indexes: list[int]) -> None:
        # A connection inherited from the parent shares its socket: forget it (closing it
        # would end the parent's session too) and open one of our own.
        for inherited in connections.all(initialized_only=True):
            inherited.connection = None
        try:
            results.put(_seed_client(ctx, indexes, progress))
        finally:
            connections.close_all()

    connections.close_all()  # a connection must not be shared across a fork
    processes = [mp.Process(target=run, args=item) for item in work]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    failed = [p.exitcode for p in processes if p.exitcode]
    if failed:
        raise RuntimeError(f"{len(failed)} seeding process(es) failed; see the output above.")
    return sum(results.get() for _ in processes)


def _use_processes(jobs: int | None, work: list, total: int) -> bool:
    if jobs is not None:
        return jobs > 1 and len(work) > 1
    # SQLite takes one writer at a time, and inside a transaction (a test) the children
    # would not see the staff just created: parallel only where it can help.
    return (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and total >= PARALLEL_FROM
        and len(work) > 1
    )


def demo_seed(
    *,
    customers: int,
    logins_path: Path,
    progress: Progress = lambda _: None,
    jobs: int | None = None,
) -> SeedResult:
    """Seed the demo; `jobs` 1 or 2 forces sequential or one process a client, None
    decides by database and size."""
    with transaction.atomic():
        clients = {spec.slug: client_ensure(spec) for spec in DEMO_CLIENTS}
        logins = staff_ensure(clients)
        demo_connectors_ensure(clients)
    logins_write(logins_path, logins_text(logins, questions=SECURITY_QUESTIONS))
    result = SeedResult(logins=logins)

    todo: dict[str, list[int]] = {}
    for spec, wanted in zip(
        DEMO_CLIENTS, split_customers(customers, len(DEMO_CLIENTS)), strict=True
    ):
        client = clients[spec.slug]
        existing = set(m.Customer.objects.filter(client=client).values_list("number", flat=True))
        todo[spec.slug] = [
            i for i in range(1, wanted + 1) if customer_number(client, i) not in existing
        ]
        result.customers_created[spec.slug] = len(todo[spec.slug])
    total = sum(result.customers_created.values())
    if not total:
        progress("Customers: all there already.")
        return result

    # Built once a run and shared by every customer (see pools.py for why).
    pools, hashes, avatars = build_pools(SEED), answer_hashes(), avatar_images_ensure()
    now = timezone.now()
    users = {(login.client.slug, login.role): login.user for login in logins}
    work = []
    for client_no, spec in enumerate(DEMO_CLIENTS):
        if not todo[spec.slug]:
            continue
        ctx = SeedContext(
            client=clients[spec.slug],
            client_no=client_no,
            staff=ClientStaff(
                importer=users[spec.slug, Role.DESK_ADMIN],
                editors=(users[spec.slug, Role.AGENT], users[spec.slug, Role.SUPERVISOR]),
                security=users[spec.slug, Role.SECURITY],
            ),
            pools=pools,
            answer_hashes=hashes,
            avatars=avatars,
            vault=get_vault(),
            now=now,
            onboarded_at=now - dt.timedelta(days=ONBOARDED_DAYS_AGO[spec.slug]),
            seed=SEED,
        )
        work.append((ctx, todo[spec.slug]))

    if _use_processes(jobs, work, total):
        progress(f"Seeding {total:,} customers, one process a client:")
        result.changes = _seed_in_processes(work, progress)
    else:
        progress(f"Seeding {total:,} customers:")
        result.changes = sum(_seed_client(ctx, indexes, progress) for ctx, indexes in work)
    return result
