"""python manage.py create_api_key CLIENT_SLUG [--name NAME]: print a new API key once."""

from django.core.management.base import BaseCommand, CommandError

from profiledesk.api.keys import api_key_create
from profiledesk.clients.models import Client


class Command(BaseCommand):
    help = "Create an API key for a client and print it. It cannot be shown again."

    def add_arguments(self, parser):
        parser.add_argument("client_slug")
        parser.add_argument("--name", default="API key", help="Which system will use it.")

    def handle(self, *args, client_slug: str, name: str, **options):
        client = Client.objects.filter(slug=client_slug).first()
        if client is None:
            raise CommandError(f"No client with the slug {client_slug!r}.")
        if not client.is_active:
            raise CommandError(f"{client} is not active.")
        api_key, raw_key = api_key_create(client=client, name=name)
        self.stderr.write(
            f"API key {api_key.name!r} for {client} (prefix {api_key.prefix}). Store it now: "
            "it is not kept and cannot be shown again."
        )
        self.stdout.write(raw_key)
