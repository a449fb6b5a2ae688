"""seed_demo gives each demo client one CRM connector, inactive until a newcomer points
it at a receiver of their own; a re-run adds none and leaves an edited one alone."""

import pytest

from profiledesk.clients.models import Client
from profiledesk.connectors.models import Connector, Kind
from profiledesk.demo.connectors import DEMO_CONNECTOR_NAME
from profiledesk.policies.categories import Category

pytestmark = pytest.mark.django_db


def test_each_demo_client_has_one_inactive_crm_connector_for_every_category(seed):
    seed(customers=4)

    connectors = Connector.objects.select_related("client").order_by("client__slug")
    assert [c.client.slug for c in connectors] == ["northwind", "solaris"]
    for connector in connectors:
        assert connector.name == DEMO_CONNECTOR_NAME
        assert (connector.kind, connector.is_active) == (Kind.CRM, False)
        assert sorted(connector.categories) == sorted(Category.values)
        assert connector.url.startswith("https://")
        assert len(connector.secret()) >= 24  # what the admin asks of a secret
        connector.full_clean()  # the admin shows it without an error


def test_a_second_run_adds_no_connector_and_keeps_an_edited_one(seed):
    seed(customers=4)
    edited = Connector.objects.get(client=Client.objects.get(slug="northwind"))
    edited.url = "https://receiver.example/hooks/profiledesk"
    edited.save()

    seed(customers=4)

    assert Connector.objects.count() == 2
    edited.refresh_from_db()
    assert edited.url == "https://receiver.example/hooks/profiledesk"
