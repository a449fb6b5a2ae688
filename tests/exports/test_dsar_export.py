"""The data-subject access export (GDPR Art. 15): the customer's profile in clear, its
history, the messages sent, and the statement of purposes, recipients (the connected
systems), retention and source; never a secret."""

import json

import pytest

from profiledesk.connectors.models import Kind as ConnectorKind
from profiledesk.exports.models import Format, Kind
from profiledesk.exports.services import ExportError, export_request
from profiledesk.messaging.models import Message, Status
from tests.connectors.helpers import SECRET, connector_for
from tests.factories import card_on_file
from tests.messaging.helpers import CODE, queue_otp

from .helpers import built

pytestmark = pytest.mark.django_db

CARD = "4111111111111111"
CRM_URL = "https://crm.northwind.example/hooks/desk"


@pytest.fixture
def dsar_document(personas, northwind, customer, settings):
    settings.VERIFICATION_DOCUMENT_RETENTION_DAYS = 45
    settings.HISTORY_RETENTION_DAYS = 500
    card = card_on_file(customer, CARD)
    connector_for(northwind, url=CRM_URL, name="Northwind CRM")
    connector_for(
        northwind,
        url="https://billing.northwind.example/h",
        kind=ConnectorKind.BILLING,
        name="Old billing",
        is_active=False,
    )
    personal = customer.personal
    personal.legal_name = "Grace Brewster Hopper"
    personal._change_reason = "NWE-000042 applied"
    personal.save()
    email = customer.emails.get()
    message = queue_otp(northwind, to=email.email, customer=customer)
    Message.objects.filter(pk=message.pk).update(status=Status.SENT)
    export = export_request(
        by=personas["compliance"],
        kind=Kind.DSAR,
        fmt=Format.JSON,
        client=northwind,
        customer=customer,
    )
    raw = built(export)
    return {"raw": raw.decode(), "doc": json.loads(raw), "card": card, "email": email.email}


def test_the_profile_is_in_clear_for_the_data_subject(dsar_document, customer):
    profile = dsar_document["doc"]["profile"]
    assert profile["customer"]["customer number"] == customer.number
    [personal] = profile["personal"]
    assert personal["legal name"] == "Grace Brewster Hopper"
    assert personal["national ID"] == "QQ123456C"  # sensitive, shown to its owner
    assert personal["date of birth"] == "1984-03-07"
    assert profile["contact"][0]["e-mail address"] == dsar_document["email"]
    [card] = [row for row in profile["billing"] if row["type"] == "payment card"]
    assert card["brand"] == dsar_document["card"].brand
    assert card["last four"] == "1111"
    assert (card["expiry month"], card["expiry year"]) == ("12", "2030")
    [bank] = [row for row in profile["billing"] if row["type"] == "bank account"]
    assert bank["IBAN"].endswith("5432") and "•" in bank["IBAN"]
    [question] = profile["security"][1:]
    assert question["question"] == "First school?"
    assert question["answer"].startswith("set")


def test_no_secret_reaches_the_export(dsar_document, customer):
    raw = dsar_document["raw"]
    card = dsar_document["card"]
    bank = customer.bank_accounts.get()
    answer_hash = customer.security_questions.get().answer_hash
    for secret in [
        CARD,
        card.vault_token,
        card.fingerprint,
        card.bin,  # brand + last four + expiry describe a card
        bank.vault_token,
        bank.fingerprint,
        "GB82WEST12345698765432",
        answer_hash,
        CODE,
        SECRET,  # a connector's signing secret
        CRM_URL,
    ]:
        assert secret not in raw, secret


def test_the_statement_names_purposes_recipients_retention_source_and_rights(dsar_document):
    statement = dsar_document["doc"]["statement"]
    assert statement["controller"] == "Northwind Energy"
    assert any("identity" in p["purpose"].lower() for p in statement["purposes"])
    assert any("fraud" in p["purpose"].lower() for p in statement["purposes"])
    assert statement["recipients"] == [
        {"name": "Northwind CRM", "kind": "CRM", "active": True},
        {"name": "Old billing", "kind": "Billing", "active": False},
    ]
    periods = " ".join(row["period"] for row in statement["retention"])
    assert "500 days (at least 12 months: PCI DSS 10.5.1)" in periods  # HISTORY_RETENTION_DAYS
    assert "45 days" in periods  # VERIFICATION_DOCUMENT_RETENTION_DAYS, from the settings
    assert "7 days" in periods  # EXPORT_RETENTION_DAYS
    assert "Northwind Energy" in statement["source"]
    assert any("Art. 16" in right for right in statement["rights"])


def test_the_history_and_the_messages_sent_are_listed(dsar_document, customer):
    doc = dsar_document["doc"]
    renamed = [
        change
        for version in doc["history"]
        for change in version["changes"]
        if change["field"] == "legal_name" and version["kind"] == "changed"
    ]
    assert renamed == [
        {
            "field": "legal_name",
            "label": "legal name",
            "before": "Grace Hopper",
            "after": "Grace Brewster Hopper",
        }
    ]
    assert [v["reference"] for v in doc["history"] if v["reference"]] == ["NWE-000042"]
    assert doc["messages_sent"] == [
        {
            "channel": "E-mail",
            "to": dsar_document["email"],
            "template": "a code to confirm who you are",
            "status": "Sent",
            "queued_at": doc["messages_sent"][0]["queued_at"],
            "sent_at": "",
        }
    ]


def test_a_dsar_is_json_only(personas, northwind, customer):
    with pytest.raises(ExportError):
        export_request(
            by=personas["compliance"],
            kind=Kind.DSAR,
            fmt=Format.CSV,
            client=northwind,
            customer=customer,
        )


def test_the_subjects_copy_speaks_in_words_and_leaves_out_the_desks_bookkeeping(
    personas, northwind, customer
):
    # A card replaced and a new security answer, as apply writes them.
    card = card_on_file(customer, CARD)
    card.last4, card.vault_token, card.fingerprint = "0005", "tok_replaced", "fp_replaced"
    card._history_user = personas["agent"]
    card.save()
    question = customer.security_questions.get()
    question.answer_hash = "a-new-hash"
    question._history_user = personas["agent"]
    question.save()
    export = export_request(
        by=personas["compliance"],
        kind=Kind.DSAR,
        fmt=Format.JSON,
        client=northwind,
        customer=customer,
    )
    doc = json.loads(built(export))

    changes = [c for v in doc["history"] for c in v["changes"] if v["kind"] == "changed"]
    # The customer sees the last four change; the token and fingerprint are the desk's.
    assert {"last4", "answer_hash"} <= {c["field"] for c in changes}
    assert not {"vault_token", "fingerprint"} & {c["field"] for c in changes}
    [answer] = [c for c in changes if c["field"] == "answer_hash"]
    assert (answer["label"], answer["after"]) == ("answer", "changed")
