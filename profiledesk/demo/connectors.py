"""The demo's downstream systems: one CRM connector a demo client, so that a newcomer
finds where connectors are configured (Admin → Connectors) and what one holds.

It is inactive: the demo has no receiver, so an active connector would only fill the
tickets with failing deliveries. To see events arrive, point its URL at a receiver of
your own (docs/webhooks.md), type a signing secret you share with it, and tick
"active". Re-running is safe: an existing demo connector is left as it is (a newcomer
may have edited it).
"""

import secrets

from profiledesk.clients.models import Client
from profiledesk.connectors.models import Connector, Kind
from profiledesk.connectors.scopes import PRESETS
from profiledesk.policies.categories import Category

DEMO_CONNECTOR_NAME = "Demo CRM (inactive: point it at your receiver)"
# A reserved name (RFC 2606): nothing answers there, whatever the network.
DEMO_CONNECTOR_URL = "https://crm.example.invalid/hooks/profiledesk"


def demo_connectors_ensure(clients: dict[str, Client]) -> list[Connector]:
    """The demo CRM connector of each client in `clients`, created if missing."""
    connectors = []
    for client in clients.values():
        connector = Connector.objects.filter(client=client, name=DEMO_CONNECTOR_NAME).first()
        if connector is None:
            connector = Connector(
                client=client,
                name=DEMO_CONNECTOR_NAME,
                kind=Kind.CRM,
                url=DEMO_CONNECTOR_URL,
                categories=list(Category.values),
                scope=PRESETS[Kind.CRM],
                is_active=False,
            )
            # Random: nobody knows it, so whoever activates the connector sets their own.
            connector.set_secret(secrets.token_urlsafe(32))
            connector.save()
        connectors.append(connector)
    return connectors
