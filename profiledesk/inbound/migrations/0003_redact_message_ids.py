"""Message-IDs were stored raw: one holding a card number is redacted, and its key
re-made with the desk's secret (a plain SHA-256 of a card number is reversible by trying
every number). Rows whose Message-ID was longer than the 255 characters kept keep their old
key (the full Message-ID is not known any more)."""

import hashlib

from django.db import migrations
from django.utils.crypto import salted_hmac

from profiledesk.vault.cards import redact_card_numbers


def redact_message_ids(apps, schema_editor):
    InboundMessage = apps.get_model("inbound", "InboundMessage")
    for row in InboundMessage.objects.only("message_id", "message_id_hash").iterator():
        raw = row.message_id
        redacted = redact_card_numbers(raw)
        if redacted == raw:
            continue
        if hashlib.sha256(raw.encode()).hexdigest() == row.message_id_hash:
            row.message_id_hash = salted_hmac(
                "inbound.message-id", raw, algorithm="sha256"
            ).hexdigest()
        row.message_id = redacted[:255]
        row.save(update_fields=["message_id", "message_id_hash"])


class Migration(migrations.Migration):
    dependencies = [("inbound", "0002_delivery_replay_window")]

    operations = [migrations.RunPython(redact_message_ids, migrations.RunPython.noop)]
