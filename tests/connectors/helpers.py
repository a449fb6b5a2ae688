from profiledesk.connectors.models import Connector, Kind
from profiledesk.connectors.scopes import PRESETS
from profiledesk.tickets.models import State

SECRET = "whsec-test-0123456789abcdefghijklmnop"

EVENT = {
    "id": "evt-0001",
    "type": "profile.changed",
    "customer": "NWE-0000001",
    "changes": [
        {
            "section": "contact",
            "field": "emailaddress.email",
            "kind": "value",
            "row": 1,
            "old": "grace@example.com",
            "new": "new@example.com",
        }
    ],
}


def connector_for(
    client,
    *,
    url: str,
    kind: str = Kind.CRM,
    categories=("contact",),
    secret: str = SECRET,
    name: str | None = None,
    **extra,
) -> Connector:
    connector = Connector(
        client=client,
        name=name or f"{client.name} {kind}",
        kind=kind,
        url=url,
        categories=list(categories),
        **{"scope": PRESETS[kind], **extra},
    )
    connector.set_secret(secret)
    connector.save()
    return connector


def mark_applied(ticket) -> None:
    """Stands in for the apply engine (profiledesk/apply), which is not under test here."""
    # save(), not update(): tracked models always leave a history row (docs/design.md §7).
    ticket.state = State.APPLIED
    ticket.save(update_fields=["state"])


def delivery_for(ticket):
    """A pending delivery of `ticket` to a CRM of its client (the authorization matrix's)."""
    from profiledesk.connectors.services import deliveries_create

    connector_for(ticket.client, url="https://crm.example/hooks/profiledesk")
    [delivery] = deliveries_create(ticket=ticket, event={**EVENT, "id": f"matrix-{ticket.pk}"})
    return delivery
