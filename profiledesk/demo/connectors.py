"""The demo's downstream systems: a CRM and a billing system for each demo client, active
and scoped (connectors/scopes.py PRESETS), pointing at the demo receiver that `run_demo`
starts (demo/receiver.py), so that a change a newcomer applies arrives there signed and
updates the client's record (docs/webhooks.md).

Re-running is safe: an existing demo connector is left as it is (a newcomer may have
edited it); the inactive "point it at your receiver" CRM of earlier demos is upgraded
only if nobody touched it since the seed made it.
"""

import contextlib
import datetime as dt
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from profiledesk.clients.models import Client
from profiledesk.connectors.models import Connector, Kind
from profiledesk.connectors.scopes import PRESETS
from profiledesk.intake.fields import CATEGORY_FIELDS
from profiledesk.policies.categories import Category

from .receiver import forget, serve


@dataclass(frozen=True)
class DemoSystem:
    name: str
    kind: str
    slug: str  # the receiver's path after the client: /<client>/<slug>


DEMO_SYSTEMS = (
    DemoSystem("Demo CRM", Kind.CRM, "crm"),
    DemoSystem("Demo billing", Kind.BILLING, "billing"),
)

# What earlier demos seeded: one inactive CRM at a reserved name (RFC 2606).
LEGACY_NAME = "Demo CRM (inactive: point it at your receiver)"
LEGACY_URL = "https://crm.example.invalid/hooks/profiledesk"


def receiver_base() -> str:
    """Where the demo receiver listens (settings.DEMO_RECEIVER_PORT, 8001 by default)."""
    return f"http://127.0.0.1:{int(getattr(settings, 'DEMO_RECEIVER_PORT', 8001))}"


def receiver_store() -> Path:
    """The demo receiver's own SQLite file (what its systems received and hold)."""
    var = Path(getattr(settings, "DEMO_VAR_DIR", Path(settings.BASE_DIR) / "var"))
    return var / "receiver.sqlite3"


def receiver_path(connector: Connector, *, client_slug: str | None = None) -> str | None:
    """The receiver's system this connector delivers to ("/northwind/crm"), or None when
    it points elsewhere (a newcomer's own receiver) or belongs to another client than the
    path names: the demo shows a client only its own system. `client_slug`: the
    connector's client's, when the caller has it (no query)."""
    base = receiver_base()
    if not connector.url.startswith(base + "/"):
        return None
    path = urlsplit(connector.url).path
    if path.split("/")[1:2] != [client_slug or connector.client.slug]:
        return None
    return path


def categories_of(scope: list[str]) -> list[str]:
    """The categories in which a field of `scope` can change: the system hears of those."""
    wanted = set(scope)
    found = {c for c, specs in CATEGORY_FIELDS.items() for s in specs if s.key in wanted}
    return [c for c in Category.values if c in found]


def _legacy_untouched(connector: Connector) -> bool:
    """The old inactive CRM exactly as the seed left it: nobody saved it since (any save
    moves `updated_at`) and it still says what the seed wrote."""
    return (
        connector.url == LEGACY_URL
        and not connector.is_active
        and connector.kind == Kind.CRM
        and sorted(connector.categories or []) == sorted(Category.values)
        and (connector.scope or []) in ([], PRESETS[Kind.CRM])
        and connector.updated_at - connector.created_at < dt.timedelta(seconds=2)
    )


def _configure(connector: Connector, system: DemoSystem) -> None:
    connector.name = system.name
    connector.kind = system.kind
    connector.url = f"{receiver_base()}/{connector.client.slug}/{system.slug}"
    connector.scope = list(PRESETS[system.kind])
    connector.categories = categories_of(connector.scope)
    connector.is_active = True
    # Random, and known only to the desk: run_demo hands it to the receiver at start.
    connector.set_secret(secrets.token_urlsafe(32))


def demo_connectors_ensure(clients: dict[str, Client]) -> list[Connector]:
    """The demo systems of each client in `clients`, created if missing."""
    connectors, fresh = [], []
    for client in clients.values():
        legacy = Connector.objects.filter(client=client, name=LEGACY_NAME).first()
        # The old CRM is upgraded only as the seed left it; an edited one is the
        # newcomer's now, kept as it is beside the new CRM.
        upgradable = legacy if legacy is not None and _legacy_untouched(legacy) else None
        for system in DEMO_SYSTEMS:
            connector = Connector.objects.filter(client=client, name=system.name).first()
            if connector is None:
                if system.kind == Kind.CRM and upgradable is not None:
                    connector = upgradable
                else:
                    connector = Connector(client=client)
                _configure(connector, system)
                connector.save()
                fresh.append(f"/{client.slug}/{system.slug}")
            connectors.append(connector)
    # A new system knows nothing yet: whatever the receiver kept under its path belonged
    # to an earlier demo database.
    forget(receiver_store(), systems=fresh)
    return connectors


def receiver_systems() -> dict[str, dict]:
    """What the demo receiver must know of each system the demo connectors point at:
    {path: {"client", "name", "secret"}}. The first connector of a path wins (two
    connectors a newcomer pointed at one path share its records)."""
    systems: dict[str, dict] = {}
    for connector in Connector.objects.select_related("client").order_by("pk"):
        path = receiver_path(connector)
        if path is None or path in systems:
            continue
        try:
            secret = connector.secret()
        except ValueError:  # sealed with a key the demo no longer has
            continue
        systems[path] = {"client": connector.client.slug, "name": connector.name, "secret": secret}
    return systems


@contextlib.contextmanager
def receiver_running() -> Iterator[bool]:
    """The demo receiver in a thread of this process, for seed_demo's stories: their
    deliveries run in process as they apply, and reach the client's systems then, not a
    minute after run_demo starts. Yields False, and starts nothing, when something
    already listens on the port (run_demo's receiver)."""
    try:
        server = serve(
            port=int(getattr(settings, "DEMO_RECEIVER_PORT", 8001)),
            store=receiver_store(),
            systems=receiver_systems(),
        )
    except OSError:
        yield False
        return
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield True
    finally:
        server.shutdown()
        server.server_close()
