"""Exports at their edges: a customer with no versions, an empty range of audit events,
and the data subject's copy after an account was unlinked and a card replaced through
the desk."""

import csv
import datetime as dt
import io
import json

import pytest
import time_machine
from django.utils import timezone

from profiledesk.customers import models as m
from profiledesk.customers.models import Customer
from profiledesk.exports.models import Format, Kind
from profiledesk.exports.services import export_request
from tests.approvals.helpers import WEDNESDAY
from tests.factories import CustomerFactory, card_on_file
from tests.rollback.helpers import CARD, applied

from .helpers import built

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


def export(personas, northwind, kind, fmt, **kwargs):
    return export_request(by=personas["compliance"], kind=kind, fmt=fmt, client=northwind, **kwargs)


@pytest.mark.parametrize("fmt", [Format.CSV, Format.JSON])
def test_a_customer_with_no_versions_exports_an_empty_history(personas, northwind, fmt):
    bare = CustomerFactory(client=northwind)
    Customer.history.filter(id=bare.pk).delete()  # no version at all, not even "created"
    made = export(personas, northwind, Kind.CUSTOMER_HISTORY, fmt, customer=bare)
    raw = built(made).decode()
    made.refresh_from_db()
    assert (made.status, made.done, made.total) == ("done", 0, 0)
    if fmt == Format.CSV:
        rows = list(csv.reader(io.StringIO(raw)))
        assert len(rows) == 1  # the header row only
    else:
        doc = json.loads(raw)
        assert (doc["versions"], doc["tickets"]) == ([], [])


@pytest.mark.parametrize("fmt", [Format.CSV, Format.JSON])
def test_an_empty_range_of_audit_events(personas, northwind, fmt):
    since = dt.datetime(2001, 1, 1, tzinfo=dt.UTC)
    made = export(
        personas, northwind, Kind.AUDIT_EVENTS, fmt, since=since, until=since + dt.timedelta(1)
    )
    raw = built(made).decode()
    made.refresh_from_db()
    assert made.status == "done" and made.done == 0
    if fmt == Format.CSV:
        assert len(list(csv.reader(io.StringIO(raw)))) == 1
    else:
        assert json.loads(raw)["events"] == []


def test_the_dsar_after_an_unlink_and_a_replaced_card(personas, northwind, customer, clock):
    card = card_on_file(customer, "4111111111111111", is_default=True)
    account = m.LinkedAccount.objects.create(
        customer=customer, provider="google", external_id="g-98765", linked_at=timezone.now()
    )
    applied(customer, personas, "linked_accounts", {"unlink": [account.pk]}, clock)
    applied(customer, personas, "billing", {**CARD, "card_target": card.pk}, clock)
    made = export(personas, northwind, Kind.DSAR, Format.JSON, customer=customer)
    raw = built(made).decode()
    doc = json.loads(raw)
    for secret in ("4111111111111111", "5555555555554444", card.vault_token):
        assert secret not in raw
    card.refresh_from_db()
    assert card.vault_token not in raw and card.fingerprint not in raw
    assert doc["profile"]["linked_accounts"] == []  # gone now...
    unlinked = [
        v for v in doc["history"] if v["kind"] == "deleted" and v["section"] == "linked_accounts"
    ]
    assert len(unlinked) == 1  # ...and its removal is in the history, with what it was
    assert any(c["before"] for c in unlinked[0]["changes"])
    replaced = [
        c
        for v in doc["history"]
        if v["section"] == "billing" and v["kind"] == "changed"
        for c in v["changes"]
    ]
    lasts = {(c["before"], c["after"]) for c in replaced if c["field"] == "last4"}
    assert ("1111", "4444") in lasts
    assert {v["staff"] for v in doc["history"]} <= {"", "desk staff"}
