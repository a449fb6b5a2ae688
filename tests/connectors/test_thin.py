"""Thin events (issue 15, Stripe's pattern): a thin connector's signed event names the
change without its values; the receiver fetches them once, with its client's API key,
within CONNECTOR_THIN_FETCH_HOURS; every fetch is audited, and the values then leave
the desk. Abuse first: another client's key, a replay, a late fetch, a full connector's
event, a revoked key. The receiver is docs/examples/webhook_receiver.py."""

import datetime as dt
import importlib.util
import json
import logging
import uuid
from pathlib import Path
from urllib.error import HTTPError

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from joserfc.jwk import ECKey

from audit.models import AuditEvent
from profiledesk.api.keys import api_key_create, api_key_revoke
from profiledesk.apply.services import ticket_apply
from profiledesk.connectors.models import Delivery, Kind, Mode
from profiledesk.connectors.tasks import deliver, purge_thin_payloads
from profiledesk.connectors.thin import FetchRefused, thin_event_fetch
from tests.api.conftest import bearer
from tests.apply.helpers import applicable
from tests.approvals.helpers import WEDNESDAY
from tests.conftest import signed_in
from tests.factories import ClientFactory

from .helpers import SECRET, connector_for

_spec = importlib.util.spec_from_file_location(
    "webhook_receiver", Path(settings.BASE_DIR) / "docs" / "examples" / "webhook_receiver.py"
)
example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(example)

NEW = "g.hopper@navy.example"


@pytest.fixture
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def northwind_key(northwind):
    return api_key_create(client=northwind, name="CRM")


def email_change(customer, personas, value=NEW) -> Delivery:
    primary = customer.emails.get(is_primary=True)
    ticket = applicable(customer, personas, "contact", {"email": value, "email_target": primary.pk})
    ticket_apply(ticket=ticket, by=personas["agent"])
    return Delivery.objects.get(ticket=ticket)


def thin_delivery(customer, personas, northwind, receiver, **extra) -> tuple[Delivery, dict]:
    """A thin connector's delivery, delivered to the receiver: (row, verified event)."""
    connector_for(northwind, url=receiver.url, kind=Kind.CRM, mode=Mode.THIN, **extra)
    delivery = email_change(customer, personas)
    assert deliver.apply(args=[delivery.pk]).result == "delivered"
    request = receiver.requests[-1]
    headers = request["headers"]
    event = example.verify(
        secret=SECRET,
        headers=headers,
        body=request["body"],
        now=int(headers["x-profiledesk-timestamp"]),
    )
    return delivery, event


def url(event) -> str:
    return f"/api/v1/events/{event['fetch']['id']}/"


def test_the_thin_event_is_signed_and_names_the_change_without_any_value(
    customer, personas, northwind, receiver, clock
):
    old = customer.emails.get(is_primary=True).email
    delivery, event = thin_delivery(customer, personas, northwind, receiver)
    body = receiver.requests[0]["body"]
    assert NEW.encode() not in body and old.encode() not in body
    [change] = event["data"]["changes"]
    assert change == {
        "section": "contact",
        "field": "emailaddress.email",
        "label": change["label"],
        "kind": "value",
        "row": customer.emails.get(is_primary=True).pk,
    }
    assert event["data"]["customer"] == customer.number
    assert event["fetch"]["id"] == str(delivery.fetch_id)
    assert event["fetch"]["url"].endswith(url(event))
    expires = dt.datetime.fromisoformat(event["fetch"]["expires_at"])
    assert expires == delivery.created_at + dt.timedelta(hours=24)


def test_the_receiver_fetches_exactly_the_scoped_values_once_and_the_fetch_is_audited(
    customer, personas, northwind, receiver, northwind_key, clock, caplog
):
    delivery, event = thin_delivery(customer, personas, northwind, receiver)
    api_key, raw = northwind_key
    caplog.set_level(logging.DEBUG)

    response = bearer(raw).get(url(event))
    assert response.status_code == 200, response.content
    assert response["Cache-Control"].startswith("no-store")
    full = response.json()
    assert {k: full[k] for k in ("id", "sequence", "replaces", "ticket")} == {
        k: event[k] for k in ("id", "sequence", "replaces", "ticket")
    }
    [change] = full["data"]["changes"]
    assert change["new"] == NEW and change["field"] == "emailaddress.email"

    delivery.refresh_from_db()
    assert delivery.fetch_payload is None and delivery.fetched_at is not None
    fetched = AuditEvent.objects.get(action="connectors.event_fetched")
    assert fetched.client == northwind and fetched.data["api_key"] == api_key.prefix
    assert fetched.data["fields"] == ["emailaddress.email"]
    # Values are never logged nor audited.
    assert NEW not in json.dumps(fetched.data) and NEW not in caplog.text

    again = bearer(raw).get(url(event))
    assert again.status_code == 410 and "fetched already" in again.json()["detail"]
    refused = AuditEvent.objects.get(action="connectors.event_fetch_refused")
    assert refused.data["reason"] == "used"


def test_another_clients_key_cannot_fetch_it_and_the_attempt_is_audited(
    customer, personas, northwind, receiver, northwind_key, clock
):
    _, event = thin_delivery(customer, personas, northwind, receiver)
    other = ClientFactory()
    _, other_raw = api_key_create(client=other, name="Someone else's app")

    response = bearer(other_raw).get(url(event))
    assert response.status_code == 404  # as for an id that does not exist
    assert response.json() == {"detail": "No such event."}
    refused = AuditEvent.objects.get(action="connectors.event_fetch_refused")
    assert refused.client == northwind and refused.data["caller_client"] == other.slug
    # The rightful receiver still gets its values.
    assert bearer(northwind_key[1]).get(url(event)).status_code == 200


def test_a_fetch_after_expiry_is_gone_and_the_purge_wipes_what_nobody_fetched(
    customer, personas, northwind, receiver, northwind_key, clock, settings
):
    settings.CONNECTOR_THIN_FETCH_HOURS = 2
    delivery, event = thin_delivery(customer, personas, northwind, receiver)
    clock.shift(dt.timedelta(hours=2, seconds=1))
    assert purge_thin_payloads.apply().result == 1
    delivery.refresh_from_db()
    assert delivery.fetch_payload is None and delivery.fetched_at is None
    assert NEW not in json.dumps(delivery.event)  # nothing of the value is left on the row

    response = bearer(northwind_key[1]).get(url(event))
    assert response.status_code == 410 and "expired" in response.json()["detail"]
    assert AuditEvent.objects.get(action="connectors.event_fetch_refused").data["reason"] == (
        "expired"
    )


def test_an_expired_fetch_is_gone_even_before_the_purge_ran(
    customer, personas, northwind, receiver, northwind_key, clock
):
    _, event = thin_delivery(customer, personas, northwind, receiver)
    clock.shift(dt.timedelta(hours=24))
    assert bearer(northwind_key[1]).get(url(event)).status_code == 410


def test_a_full_connectors_event_cannot_be_fetched(
    customer, personas, northwind, receiver, northwind_key, clock
):
    connector_for(northwind, url=receiver.url, kind=Kind.CRM)  # full: values in the event
    delivery = email_change(customer, personas)
    assert delivery.fetch_id is None and delivery.fetch_payload is None
    http = bearer(northwind_key[1])
    assert http.get(f"/api/v1/events/{uuid.uuid4()}/").status_code == 404
    # Its event id is no fetch id, and a non-UUID path is the API's JSON 404.
    assert http.get(f"/api/v1/events/{delivery.event_id}/").status_code == 404
    assert http.get("/api/v1/events/1/").json() == {"detail": "Not found."}


def test_a_revoked_key_or_a_staff_session_cannot_fetch(
    customer, personas, northwind, receiver, northwind_key, clock
):
    _, event = thin_delivery(customer, personas, northwind, receiver)
    api_key, raw = northwind_key
    api_key_revoke(api_key=api_key)
    assert bearer(raw).get(url(event)).status_code == 401
    assert signed_in(personas["supervisor"]).get(url(event)).status_code == 401
    assert Delivery.objects.get(fetch_id=event["fetch"]["id"]).fetch_payload is not None


def test_of_two_fetches_racing_only_one_gets_the_values(
    customer, personas, northwind, receiver, clock
):
    delivery, _ = thin_delivery(customer, personas, northwind, receiver)
    # The second caller read the row before the first wiped it: its conditional UPDATE
    # touches nothing, and it is refused.
    stale = Delivery.objects.get(pk=delivery.pk)
    first = thin_event_fetch(fetch_id=delivery.fetch_id, client=northwind, key_label="a")
    assert first["data"]["changes"][0]["new"] == NEW
    Delivery.objects.filter(pk=delivery.pk).update(fetched_at=None)  # as the stale reader saw
    with pytest.raises(FetchRefused) as refusal:
        thin_event_fetch(fetch_id=stale.fetch_id, client=northwind, key_label="b")
    assert refusal.value.gone


def test_a_thin_connector_with_a_public_key_gets_its_fetched_values_encrypted(
    customer, personas, northwind, receiver, northwind_key, clock
):
    private = ECKey.generate_key("P-256", private=True)
    _, event = thin_delivery(
        customer, personas, northwind, receiver, encryption_key=private.as_dict(private=False)
    )
    full = bearer(northwind_key[1]).get(url(event)).json()
    assert "data" not in full
    opened = example.decrypt(full, private_jwk=private.as_dict(private=True))
    assert opened["data"]["changes"][0]["new"] == NEW
    assert AuditEvent.objects.get(action="connectors.event_fetched").data["encrypted"] is True


@pytest.mark.django_db(transaction=True)
def test_the_example_receiver_fetches_over_http_once_and_updates_its_record(
    customer, personas, northwind, receiver, live_server, settings, monkeypatch
):
    settings.DESK_PUBLIC_URL = live_server.url
    # Real commits run their on-commit hooks: no broker here, the test delivers by hand.
    monkeypatch.setattr("celery.app.task.Task.apply_async", lambda *args, **kwargs: None)
    _, raw = api_key_create(client=northwind, name="CRM")
    with time_machine.travel(WEDNESDAY, tick=False):  # the ticket's day
        delivery, event = thin_delivery(customer, personas, northwind, receiver)
    assert event["fetch"]["url"].startswith(live_server.url)
    # Back to the real clock (a frozen one stalls the live server): due from now.
    Delivery.objects.filter(pk=delivery.pk).update(
        fetch_expires_at=timezone.now() + dt.timedelta(hours=1)
    )
    full = example.fetch(event, desk_url=live_server.url, api_key=raw)
    with pytest.raises(HTTPError) as gone:
        example.fetch(event, desk_url=live_server.url, api_key=raw)
    assert gone.value.code == 410
    records = example.Records()
    assert records.apply(full, idempotency_key="k1") == "applied"
    [record] = records.customers.values()
    assert NEW in record.values()
