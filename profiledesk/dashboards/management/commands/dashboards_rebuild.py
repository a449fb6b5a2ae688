"""python manage.py dashboards_rebuild [--client SLUG] --since YYYY-MM-DD [--until YYYY-MM-DD]

Rebuild the dashboards' daily figures of a range of local days (each client's own days),
e.g. after an import or a fix to a figure. Idempotent: the days are replaced, not added to.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from profiledesk.clients.models import Client
from profiledesk.dashboards.build import figures_rebuild_days, local_today

# Days rebuilt in one pass (one read of each source): bounds the memory a pass takes.
CHUNK_DAYS = 7


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date: write it as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Rebuild the dashboards' daily figures of a range of days (the clients' local days)."

    def add_arguments(self, parser):
        parser.add_argument("--client", metavar="SLUG", help="Only this client (default: all).")
        parser.add_argument("--since", required=True, metavar="YYYY-MM-DD", help="First day.")
        parser.add_argument(
            "--until", metavar="YYYY-MM-DD", help="Last day, included (default: today)."
        )

    def handle(self, *args, client: str | None, since: str, until: str | None, **options):
        first = _date(since)
        last = _date(until) if until else None
        clients = Client.objects.order_by("slug")
        if client:
            clients = clients.filter(slug=client)
            if not clients.exists():
                raise CommandError(f"No client with the slug {client!r}.")
        if last is not None and first > last:
            raise CommandError("--since is after --until.")
        plan = [(each, last or local_today(each)) for each in clients]
        for each, end in plan:
            if first > end:
                raise CommandError(f"--since is after today for {each.slug}.")
        for each, end in plan:
            rows, day = 0, first
            while day <= end:
                chunk_end = min(day + dt.timedelta(days=CHUNK_DAYS - 1), end)
                rows += figures_rebuild_days(client=each, since=day, until=chunk_end)
                day = chunk_end + dt.timedelta(days=1)
            self.stdout.write(f"{each.slug}: {first} to {end}, {rows} figures.")
