"""seed_demo gives each demo client a CRM and a billing system, active and scoped, pointing
at the demo receiver run_demo starts; a re-run adds none and leaves an edited one alone;
the inactive CRM of earlier demos is upgraded only if nobody touched it."""

import datetime as dt

import pytest

from profiledesk.clients.models import Client
from profiledesk.connectors.models import Connector, Kind
from profiledesk.connectors.scopes import PRESETS
from profiledesk.demo.connectors import (
    LEGACY_NAME,
    LEGACY_URL,
    demo_connectors_ensure,
    receiver_base,
    receiver_path,
    receiver_systems,
)
from profiledesk.policies.categories import Category

pytestmark = pytest.mark.django_db


def test_each_demo_client_has_an_active_scoped_crm_and_billing_system(seed, settings):
    seed(customers=4)

    connectors = Connector.objects.select_related("client").order_by("client__slug", "kind")
    assert [(c.client.slug, c.kind) for c in connectors] == [
        ("northwind", Kind.BILLING),
        ("northwind", Kind.CRM),
        ("solaris", Kind.BILLING),
        ("solaris", Kind.CRM),
    ]
    for connector in connectors:
        assert connector.is_active
        assert connector.scope == PRESETS[connector.kind]
        assert connector.url == f"{receiver_base()}/{connector.client.slug}/{connector.kind}"
        assert receiver_path(connector) == f"/{connector.client.slug}/{connector.kind}"
        assert len(connector.secret()) >= 24  # what the admin asks of a secret
        settings.CONNECTOR_ALLOW_HTTP = True  # the demo (DEBUG) allows plain HTTP
        connector.full_clean()  # the admin shows it without an error
    crm = connectors.get(client__slug="northwind", kind=Kind.CRM)
    billing = connectors.get(client__slug="northwind", kind=Kind.BILLING)
    assert {"contact", "language_region"} <= set(crm.categories)
    assert Category.BILLING in billing.categories and Category.BILLING not in crm.categories
    # Every secret is handed to the receiver, each for its own client's path.
    systems = receiver_systems()
    assert {path: s["client"] for path, s in systems.items()} == {
        "/northwind/crm": "northwind",
        "/northwind/billing": "northwind",
        "/solaris/crm": "solaris",
        "/solaris/billing": "solaris",
    }
    assert systems["/northwind/crm"]["secret"] == crm.secret()


def test_a_second_run_adds_no_connector_and_keeps_an_edited_one(seed):
    seed(customers=4)
    edited = Connector.objects.get(client__slug="northwind", kind=Kind.CRM)
    edited.url = "https://receiver.example/hooks/profiledesk"
    edited.scope = ["emailaddress.email"]
    edited.save()
    secrets = {c.pk: c.secret() for c in Connector.objects.all()}

    seed(customers=4)

    assert Connector.objects.count() == 4
    edited.refresh_from_db()
    assert edited.url == "https://receiver.example/hooks/profiledesk"
    assert edited.scope == ["emailaddress.email"]
    assert {c.pk: c.secret() for c in Connector.objects.all()} == secrets
    # Pointed elsewhere: no longer one of the receiver's systems.
    assert "/northwind/crm" not in receiver_systems()


def _legacy(client: Client, **changes) -> Connector:
    """The inactive CRM earlier demos seeded, as they left it."""
    connector = Connector(
        client=client,
        name=LEGACY_NAME,
        kind=Kind.CRM,
        url=LEGACY_URL,
        categories=list(Category.values),
        scope=PRESETS[Kind.CRM],
        is_active=False,
    )
    connector.set_secret("an-old-random-secret-nobody-knows-000")
    connector.save()
    for name, value in changes.items():
        setattr(connector, name, value)
    if changes:  # a newcomer's later save
        Connector.objects.filter(pk=connector.pk).update(
            **changes, updated_at=connector.created_at + dt.timedelta(minutes=5)
        )
    return connector


def test_the_old_inactive_crm_is_upgraded_when_untouched(northwind, demo_mode):
    old = _legacy(northwind)

    demo_connectors_ensure({"northwind": northwind})

    upgraded = Connector.objects.get(pk=old.pk)
    assert (upgraded.name, upgraded.is_active) == ("Demo CRM", True)
    assert receiver_path(upgraded) == "/northwind/crm"
    assert upgraded.secret() != "an-old-random-secret-nobody-knows-000"
    assert Connector.objects.filter(client=northwind).count() == 2  # and the billing system


@pytest.mark.parametrize(
    "edit",
    [
        {"url": "https://receiver.example/hooks"},
        {"is_active": True},
        {"categories": ["contact"]},
        {},  # saved by the admin with nothing changed: someone looked and kept it
    ],
)
def test_the_old_crm_a_newcomer_touched_is_left_alone(northwind, demo_mode, edit):
    old = _legacy(northwind, **edit)
    if not edit:
        Connector.objects.filter(pk=old.pk).update(
            updated_at=old.created_at + dt.timedelta(minutes=5)
        )
    before = Connector.objects.values().get(pk=old.pk)

    demo_connectors_ensure({"northwind": northwind})

    assert Connector.objects.values().get(pk=old.pk) == before
    # The demo's own CRM and billing system are added beside it.
    assert set(Connector.objects.filter(client=northwind).values_list("name", flat=True)) == {
        LEGACY_NAME,
        "Demo CRM",
        "Demo billing",
    }


# Committed for real: deliveries are sent when the story's transaction commits.
@pytest.mark.django_db(transaction=True)
def test_the_stories_changes_reach_the_demo_systems_as_the_seed_applies_them(seed):
    from profiledesk.connectors.models import Delivery, Status
    from profiledesk.demo import receiver
    from profiledesk.demo.connectors import receiver_store

    seed(customers=10)  # enough Northwind customers for the stories

    deliveries = Delivery.objects.select_related("connector", "ticket")
    assert deliveries.exists(), "the stories applied nothing the demo systems receive"
    assert {d.status for d in deliveries} == {Status.DELIVERED}
    email = deliveries.get(ticket__summary="New e-mail address (demo story)")
    record = receiver.record_of(
        receiver_store(),
        system=receiver_path(email.connector),
        customer=email.ticket.customer.number,
    )
    change = email.event["data"]["changes"][0]
    held = {(v["field"], v["row"]): v["value"] for v in record["values"]}
    assert held[(change["field"], change["row"])] == change["new"]


def test_a_fresh_demo_database_starts_the_receiver_s_systems_afresh(northwind, demo_mode):
    """Left from an earlier demo database: a record at sequence 9. The new database's
    events start at 1 again; kept, the record would make every one of them look stale."""
    from profiledesk.demo import receiver
    from profiledesk.demo.connectors import receiver_store

    store = receiver_store()
    old = receiver.Systems(store=store, systems={"/northwind/crm": {"client": "northwind"}})
    with receiver._connect(store) as db:
        db.execute(
            "INSERT INTO records VALUES ('/northwind/crm', 'NWE-0000001', ?, 'then')",
            (receiver.record_dump({"sequence": 9, ("emailaddress.email", 1): "old@x.example"}),),
        )
    assert old and receiver.record_of(store, system="/northwind/crm", customer="NWE-0000001")

    demo_connectors_ensure({"northwind": northwind})

    assert receiver.record_of(store, system="/northwind/crm", customer="NWE-0000001") is None
