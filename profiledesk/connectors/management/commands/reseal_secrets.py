"""Encrypt again, with the first key, everything the desk keeps sealed: connectors'
signing secrets, identity-provider accounts' API keys and webhook secrets, the sealed
values of deliveries not delivered yet (on their way, or given up: a supervisor may still
retry those), and the bodies of messages not yet sent. Run after putting a new key first
in MESSAGE_ENCRYPTION_KEY (or a new SECRET_KEY, when no MESSAGE_ENCRYPTION_KEY is set) on
every process; once it has run, the old key can be removed (docs/operations.md, "Rotating
secrets")."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from profiledesk.connectors.models import Connector, Delivery, Status
from profiledesk.connectors.services import SEALED
from profiledesk.idv.models import ProviderAccount
from profiledesk.messaging import crypto
from profiledesk.messaging.models import PENDING_STATUSES, Message


class Command(BaseCommand):
    help = "Re-encrypt sealed secrets with the first MESSAGE_ENCRYPTION_KEY (key rotation)."

    def handle(self, *args, **options) -> None:
        try:
            counts = self._reseal()
        except ValueError as error:
            raise CommandError(f"{error}: is the old key still listed?") from error
        self.stdout.write(
            "Resealed {connectors} connector secrets, {provider_accounts} identity provider "
            "accounts, {deliveries} deliveries, {messages} messages.".format(**counts)
        )

    @transaction.atomic
    def _reseal(self) -> dict[str, int]:
        counts = {"connectors": 0, "provider_accounts": 0, "deliveries": 0, "messages": 0}
        for connector in Connector.objects.select_for_update().only("pk", "secret_encrypted"):
            connector.secret_encrypted = crypto.reseal(connector.secret_encrypted)
            connector.save(update_fields=["secret_encrypted"])
            counts["connectors"] += 1
        accounts = ProviderAccount.objects.select_for_update()
        for account in accounts.only("pk", "secret_key_sealed", "webhook_secret_sealed"):
            account.secret_key_sealed = crypto.reseal(account.secret_key_sealed)
            account.webhook_secret_sealed = crypto.reseal(account.webhook_secret_sealed)
            account.save(update_fields=["secret_key_sealed", "webhook_secret_sealed"])
            counts["provider_accounts"] += 1
        # Every delivery not acknowledged keeps its sealed values (a given-up one too: a
        # supervisor's retry sends them); an acknowledged one has had them wiped.
        undelivered = Delivery.objects.select_for_update().exclude(status=Status.DELIVERED)
        for delivery in undelivered.only("pk", "event"):
            if isinstance(delivery.event, dict) and SEALED in delivery.event:
                delivery.event = {**delivery.event, SEALED: crypto.reseal(delivery.event[SEALED])}
                delivery.save(update_fields=["event"])
                counts["deliveries"] += 1
        pending = Message.objects.select_for_update().filter(status__in=PENDING_STATUSES)
        for message in pending.exclude(body_encrypted="").only("pk", "body_encrypted"):
            message.body_encrypted = crypto.reseal(message.body_encrypted)
            message.save(update_fields=["body_encrypted"])
            counts["messages"] += 1
        return counts
