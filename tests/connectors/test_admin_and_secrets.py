"""Desk admins configure connectors in the Django admin: the secret is encrypted at
rest, never shown again, never logged; every edit is an audit event; https only."""

import logging

import pytest
from django.db import connection
from django.urls import reverse

from audit.models import AuditEvent
from profiledesk.connectors.models import Connector
from profiledesk.connectors.scopes import PRESETS
from profiledesk.connectors.services import deliveries_create
from profiledesk.connectors.tasks import deliver
from tests.conftest import signed_in
from tests.factories import TicketFactory

from .helpers import EVENT, SECRET, mark_applied

ADD = reverse("admin:connectors_connector_add")


def form(northwind, **overrides):
    data = {
        "client": northwind.pk,
        "name": "Northwind CRM",
        "kind": "crm",
        "url": "https://crm.northwind.example/hooks/profiledesk",
        "secret": SECRET,
        "categories": ["contact", "personal"],
        "scope": PRESETS["crm"],
        "is_active": "on",
    }
    return {**data, **overrides}


def all_text_in_the_database() -> str:
    """Every row of the tables that could hold the secret, as text."""
    with connection.cursor() as cursor:
        rows = []
        for table in ("connectors_connector", "connectors_delivery", "audit_auditevent"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            rows += cursor.fetchall()
    return repr(rows)


def test_a_desk_admin_adds_a_connector_and_the_secret_is_kept_encrypted(personas, northwind):
    response = signed_in(personas["desk_admin"]).post(ADD, form(northwind))
    assert response.status_code == 302, response.content.decode()[:2000]

    connector = Connector.objects.get()
    assert connector.categories == ["contact", "personal"]
    assert connector.secret() == SECRET
    assert SECRET not in connector.secret_encrypted
    assert SECRET not in all_text_in_the_database()
    event = AuditEvent.objects.get(action="connectors.connector_added")
    assert event.actor == personas["desk_admin"] and event.client == northwind
    assert event.data["secret_changed"] is True and event.data["kind"] == "crm"


def test_the_secret_is_never_shown_again_and_an_empty_field_keeps_it(personas, northwind):
    http = signed_in(personas["desk_admin"])
    http.post(ADD, form(northwind))
    connector = Connector.objects.get()
    change = reverse("admin:connectors_connector_change", args=[connector.pk])

    page = http.get(change).content.decode()
    assert SECRET not in page and connector.secret_encrypted not in page

    response = http.post(change, form(northwind, secret="", name="Northwind CRM v2"))
    assert response.status_code == 302
    connector.refresh_from_db()
    assert connector.name == "Northwind CRM v2" and connector.secret() == SECRET
    event = AuditEvent.objects.get(action="connectors.connector_changed")
    assert event.data["changed"] == ["name"] and event.data["secret_changed"] is False


def test_a_new_connector_needs_a_secret(personas, northwind):
    response = signed_in(personas["desk_admin"]).post(ADD, form(northwind, secret=""))
    assert response.status_code == 200
    assert "A new connector needs a signing secret." in response.content.decode()
    assert not Connector.objects.exists()


def test_a_connector_url_must_be_https_outside_debug(personas, northwind, settings):
    settings.CONNECTOR_ALLOW_HTTP = False
    http = signed_in(personas["desk_admin"])
    response = http.post(ADD, form(northwind, url="http://crm.northwind.example/hook"))
    assert response.status_code == 200
    assert "Use an https:// URL" in response.content.decode()
    assert not Connector.objects.exists()


def test_a_connector_url_must_not_carry_credentials(personas, northwind):
    url = "https://user:hunter2-password@crm.northwind.example/hook"
    response = signed_in(personas["desk_admin"]).post(ADD, form(northwind, url=url))
    assert response.status_code == 200
    assert "Leave credentials out of the URL" in response.content.decode()
    assert not Connector.objects.exists()


def test_agents_and_supervisors_cannot_reach_the_connectors_admin(personas):
    for role in ("agent", "supervisor"):
        response = signed_in(personas[role]).get(ADD)
        assert response.status_code == 302  # to sign in: the admin is for desk admins


def test_the_secret_never_reaches_the_logs_or_the_delivery_rows(
    personas, northwind, customer, receiver, caplog
):
    settings_url = receiver.url
    caplog.set_level(logging.DEBUG)
    http = signed_in(personas["desk_admin"])
    http.post(ADD, form(northwind, url=settings_url))
    ticket = TicketFactory(customer=customer, created_by=personas["agent"])
    mark_applied(ticket)
    receiver.answers = [500]
    [delivery] = deliveries_create(ticket=ticket, event=EVENT)
    deliver.apply(args=[delivery.pk])  # fails: logs the retry
    delivery.refresh_from_db()

    assert receiver.requests  # it was really sent, signed
    assert SECRET not in caplog.text
    assert SECRET not in all_text_in_the_database()
    # The receiver's answer (which could echo anything) is not stored either.
    assert "whsec" not in delivery.last_error and delivery.last_error == "HTTP 500"


@pytest.mark.parametrize("bad", [["nope"], []])
def test_categories_must_be_known_and_not_empty(northwind, bad):
    from django.core.exceptions import ValidationError

    connector = Connector(
        client=northwind, name="X", kind="crm", url="https://x.example", categories=bad
    )
    with pytest.raises(ValidationError):
        connector.full_clean(exclude=["secret_encrypted"])
