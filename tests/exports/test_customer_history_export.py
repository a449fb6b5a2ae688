"""The customer-history export: every version of the profile, oldest first, masked as
compliance sees it (audit.history), as CSV (one row per field change) and JSON."""

import csv
import io
import json

import pytest

from profiledesk.exports.models import Format, Kind
from profiledesk.exports.services import export_request
from tests.factories import card_on_file

from .helpers import built

pytestmark = pytest.mark.django_db


@pytest.fixture
def changed_customer(customer, personas):
    personal = customer.personal
    for name in ["Grace B. Hopper", "Grace Brewster Hopper"]:
        personal.legal_name = name
        personal.national_id = "AB123456C" if name.startswith("Grace B.") else "QQ123456C"
        personal._change_reason = "NWE-000042 applied"
        personal._history_user = personas["agent"]
        personal.save()
    card_on_file(customer)
    return customer


def _export(personas, customer, fmt):
    return export_request(
        by=personas["compliance"],
        kind=Kind.CUSTOMER_HISTORY,
        fmt=fmt,
        client=customer.client,
        customer=customer,
    )


def test_the_csv_has_one_row_per_field_change_oldest_first_and_masked(personas, changed_customer):
    rows = list(
        csv.DictReader(io.StringIO(built(_export(personas, changed_customer, "csv")).decode()))
    )

    assert list(rows[0]) == [
        "at",
        "section",
        "model",
        "object_id",
        "history_id",
        "kind",
        "staff",
        "reason",
        "reference",
        "field",
        "label",
        "before",
        "after",
    ]
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)
    renames = [(r["before"], r["after"]) for r in rows if r["field"] == "legal_name"]
    assert renames[-2:] == [
        ("Grace Hopper", "Grace B. Hopper"),
        ("Grace B. Hopper", "Grace Brewster Hopper"),
    ]
    ids = [r for r in rows if r["field"] == "national_id" and r["kind"] == "changed"]
    assert [(r["before"], r["after"]) for r in ids] == [
        ("•••• 456C", "•••• 456C"),
        ("•••• 456C", "•••• 456C"),
    ]  # sensitive: masked in compliance evidence
    assert {r["staff"] for r in ids} == {"agent"}
    assert {r["reference"] for r in ids} == {"NWE-000042"}
    text = "\n".join(",".join(r.values()) for r in rows)
    assert "4111111111111111" not in text
    assert changed_customer.cards.get().vault_token not in text
    assert "QQ123456C" not in text


def test_the_json_lists_versions_with_their_changes(personas, changed_customer):
    document = json.loads(built(_export(personas, changed_customer, Format.JSON)))

    assert document["kind"] == "customer_history"
    assert document["customer_number"] == changed_customer.number
    versions = document["versions"]
    assert [v["at"] for v in versions] == sorted(v["at"] for v in versions)
    last_rename = [v for v in versions if v["section"] == "personal"][-1]
    assert last_rename["kind"] == "changed"
    assert {c["field"] for c in last_rename["changes"]} == {"legal_name", "national_id"}


def test_a_long_history_is_read_in_batches_without_repeating_a_version(
    personas, changed_customer, monkeypatch
):
    monkeypatch.setattr("audit.history.BATCH", 2)
    document = json.loads(built(_export(personas, changed_customer, Format.JSON)))

    ids = [(v["model"], v["history_id"]) for v in document["versions"]]
    assert len(ids) == len(set(ids))
    assert [v["at"] for v in document["versions"]] == sorted(v["at"] for v in document["versions"])


def test_the_json_adds_the_customers_tickets_with_their_timeline(personas, changed_customer):
    from profiledesk.tickets.services import ticket_comment
    from tests.factories import TicketFactory

    ticket = TicketFactory(customer=changed_customer, created_by=personas["agent"])
    ticket_comment(ticket=ticket, by=personas["agent"], body="Card 4111 1111 1111 1111 read out")

    document = json.loads(built(_export(personas, changed_customer, Format.JSON)))

    [exported] = document["tickets"]
    assert exported["reference"] == ticket.reference
    assert exported["events"][0]["kind"] == "created"
    [comment] = [e for e in exported["events"] if e["kind"] == "comment"]
    assert comment["staff"] == "agent"
    assert "4111 1111 1111 1111" not in comment["message"]  # redacted on arrival
    assert exported["confirmations"] == []


def test_the_json_lists_each_tickets_verification_as_the_method_registry_names_it(
    personas, changed_customer
):
    from django.utils import timezone

    from tests.factories import TicketFactory
    from verification.models import Attempt

    ticket = TicketFactory(customer=changed_customer, created_by=personas["agent"])
    common = {"ticket": ticket, "customer": changed_customer, "at": timezone.now()}
    Attempt.objects.create(method="questions", result="passed", staff=personas["agent"], **common)
    Attempt.objects.create(
        method="provider",
        result="passed",
        staff=None,
        detail={"provider_session": "vs_123", "decision": "verified"},
        **common,
    )

    document = json.loads(built(_export(personas, changed_customer, Format.JSON)))

    [exported] = document["tickets"]
    by_method = {row["method"]: row for row in exported["verification"]}
    assert by_method["questions"]["method_label"] == "Security questions"
    assert by_method["questions"]["staff"] == "agent"
    provider = by_method["provider"]
    assert provider["staff"] == ""  # nobody at the desk: the provider decided
    assert provider["evidence"] == "Identity provider: verified (session vs_123)"


def test_the_dsar_lists_the_customers_requests_without_the_staff_timeline(
    personas, changed_customer
):
    from profiledesk.tickets.services import ticket_comment
    from tests.factories import TicketFactory

    ticket = TicketFactory(customer=changed_customer, created_by=personas["agent"])
    ticket_comment(ticket=ticket, by=personas["agent"], body="Internal: sounded nervous")
    export = export_request(
        by=personas["compliance"],
        kind=Kind.DSAR,
        fmt=Format.JSON,
        client=changed_customer.client,
        customer=changed_customer,
    )
    raw = built(export).decode()

    [request] = json.loads(raw)["requests"]
    assert request["reference"] == ticket.reference
    # In words, as the readable copy shows them to the customer.
    assert (request["category"], request["state"]) == ("Contact details", "New")
    assert "events" not in request
    assert "sounded nervous" not in raw
