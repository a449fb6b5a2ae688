"""python manage.py verify_audit: check the audit chain; exit 1 naming the first broken row."""

from django.core.management.base import BaseCommand, CommandError

from audit.chain import chain_first_break
from audit.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the hash chain of the audit events and name the first broken row."

    def handle(self, *args, **options):
        broken = chain_first_break()
        if broken is not None:
            raise CommandError(f"Audit event {broken.event_id} {broken.why}.")
        count = AuditEvent.objects.count()
        self.stdout.write(self.style.SUCCESS(f"The audit chain is intact ({count:,} events)."))
