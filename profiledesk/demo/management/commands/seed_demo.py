"""python manage.py seed_demo [--customers N] [--tickets N]: the demo clients, staff,
customers and tickets."""

import datetime as dt
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from profiledesk.clients.models import Client
from profiledesk.customers.models import Customer
from profiledesk.dashboards.build import figures_rebuild_days, local_today
from profiledesk.dashboards.models import DailyFigure
from profiledesk.demo.connectors import receiver_running
from profiledesk.demo.mode import require_demo_mode
from profiledesk.demo.pools import SECURITY_QUESTIONS
from profiledesk.demo.seeding import demo_seed
from profiledesk.demo.staff import DEMO_PASSWORD, logins_text, logins_write
from profiledesk.demo.stories import demo_stories, stories_text
from profiledesk.demo.tickets import seed_tickets
from profiledesk.tickets.models import Ticket

DEFAULT_CUSTOMERS = 200


DEFAULT_TICKETS = 300


class Command(BaseCommand):
    help = "Seed the demo: two clients, their staff (known logins) and their customers."

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers",
            type=int,
            default=DEFAULT_CUSTOMERS,
            help=f"customers over both clients (default {DEFAULT_CUSTOMERS})",
        )
        parser.add_argument(
            "--tickets",
            type=int,
            default=DEFAULT_TICKETS,
            help=f"tickets in every state to have in all (default {DEFAULT_TICKETS}); "
            "only the missing ones are created, so a re-run adds nothing",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            choices=[1, 2],
            help="1: one process; 2: one process a client (default: 2 on PostgreSQL for "
            "10,000 customers or more)",
        )
        parser.add_argument(
            "--logins-file",
            type=Path,
            default=Path(getattr(settings, "DEMO_VAR_DIR", Path(settings.BASE_DIR) / "var"))
            / "demo-logins.txt",
            help="where to write the demo logins (default var/demo-logins.txt)",
        )

    def handle(
        self, *args, customers: int, tickets: int, jobs: int | None, logins_file: Path, **options
    ):
        require_demo_mode("seed_demo")
        if customers < 0:
            raise CommandError("--customers cannot be negative.")
        started = time.monotonic()

        def progress(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()  # seen as it happens, also from the forked processes

        result = demo_seed(
            customers=customers, logins_path=logins_file, progress=progress, jobs=jobs
        )
        self.stdout.write(f"\nDemo logins, also in {logins_file}:")
        self.stdout.write(f"  password (every account): {DEMO_PASSWORD}")
        for login in result.logins:
            self.stdout.write(
                f"  {login.username:<22} {login.role.value:<11} {login.client.name:<17} "
                f"TOTP secret {login.totp_secret}"
            )
        # A few customers whose changes went through the desk's services, for the history
        # and rollback pages (none when there are too few); their tickets count in --tickets.
        # The demo's CRM and billing systems listen meanwhile: the stories' changes reach
        # them as they are applied.
        with receiver_running():
            stories = demo_stories(progress=progress)
        if stories:
            self.stdout.write(stories_text(stories))
            logins_write(
                logins_file,
                logins_text(result.logins, questions=SECURITY_QUESTIONS) + stories_text(stories),
            )
        missing_tickets = max(0, tickets - Ticket.objects.count())
        if missing_tickets and Customer.objects.exists():  # tickets need customers
            self.stdout.write(f"\nSeeding {missing_tickets:,} tickets:")
            seed_tickets(count=missing_tickets, stdout=self.stdout)
        if missing_tickets or not DailyFigure.objects.exists():
            # The seeded tickets span a year: the dashboards' daily figures for it (beat
            # keeps only the last week fresh).
            for client in Client.objects.filter(is_active=True):
                today = local_today(client)
                figures_rebuild_days(
                    client=client, since=today - dt.timedelta(days=365), until=today
                )
        created = sum(result.customers_created.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"\n{created:,} customers created ({result.changes:,} past changes) in "
                f"{time.monotonic() - started:.1f} s."
            )
        )
