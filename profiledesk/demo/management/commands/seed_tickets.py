"""python manage.py seed_tickets --count N: demo tickets for the customers already there."""

from django.core.management.base import BaseCommand, CommandError

from profiledesk.demo.mode import require_demo_mode
from profiledesk.demo.tickets import seed_tickets


class Command(BaseCommand):
    help = "Create N demo tickets in every state for the demo clients' existing customers."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=1000, help="tickets (default 1000)")

    def handle(self, *args, count: int, **options):
        require_demo_mode("seed_tickets")
        try:
            result = seed_tickets(count=count, stdout=self.stdout)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {result.tickets:,} tickets ({result.items:,} change items, "
                f"{result.events:,} timeline events) in {result.seconds:.1f} s."
            )
        )
