"""python manage.py ingest_email FILE.eml [--client SLUG]: an e-mail file becomes a ticket."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from profiledesk.clients.models import Client
from profiledesk.inbound.parsing import from_eml
from profiledesk.inbound.services import InboundError, email_ingest


class Command(BaseCommand):
    help = (
        "Open a ticket from an e-mail file (RFC 5322 .eml; '-' reads standard input). The "
        "client comes from the requests+<slug>@ recipient unless --client names it."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--client", help="Client slug, overriding the recipients.")

    def handle(self, *args, file: str, client: str | None, **options):
        try:
            raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        target = None
        if client:
            target = Client.objects.filter(slug=client, is_active=True).first()
            if target is None:
                raise CommandError(f"No active client with the slug {client!r}.")
        try:
            ingested = email_ingest(message=from_eml(raw), client=target)
        except InboundError as error:
            raise CommandError(str(error)) from None
        ticket = ingested.ticket
        if not ingested.created:
            self.stdout.write(f"{ticket.reference}: already ingested (same Message-ID).")
        elif ingested.matched:
            self.stdout.write(f"{ticket.reference}: opened for customer {ticket.customer}.")
        else:
            self.stdout.write(
                f"{ticket.reference}: opened, unmatched (no customer has the sender's address)."
            )
