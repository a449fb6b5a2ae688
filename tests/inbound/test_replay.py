"""A signed webhook request is processed once, Message-ID or not: a replay inside the
signature's validity window (an attacker who captured it, or a provider retrying) gets
the first answer and opens nothing."""

import datetime as dt
import hashlib
import importlib
import threading

import pytest
from django.apps import apps as registry
from django.db import connection
from django.utils import timezone

from profiledesk.inbound.models import InboundDelivery, InboundMessage
from profiledesk.inbound.services import deliveries_purge, message_id_hash
from profiledesk.inbound.signature import sign
from profiledesk.tickets.models import Ticket, TicketEvent
from tests.inbound.conftest import CARD, NORTHWIND_INBOX, SECRET, eml, multipart, post_email

FIELDS = {  # no Message-ID anywhere: only the signature can recognise a replay
    "from": "Grace Hopper <grace@example.com>",
    "to": NORTHWIND_INBOX,
    "subject": "New phone number",
    "text": "Please change my mobile to +44 7700 900123.",
}


def _signed(fields: dict = FIELDS, timestamp: int | None = None) -> tuple[bytes, dict]:
    body = multipart(fields)
    return body, sign(body, secret=SECRET, timestamp=timestamp)


def test_the_same_signed_request_replayed_three_times_opens_one_ticket(inbound_secret, northwind):
    body, headers = _signed()
    responses = [post_email(body, headers) for _ in range(3)]
    assert [r.status_code for r in responses] == [201, 200, 200]
    assert {r.json()["ticket"] for r in responses} == {Ticket.objects.get().reference}
    assert [r.json()["duplicate"] for r in responses] == [False, True, True]
    assert InboundDelivery.objects.count() == 1


def test_a_replay_with_the_timestamp_padded_with_zeros_is_still_a_replay(inbound_secret, northwind):
    body, headers = _signed()
    padded = {**headers, "X-Desk-Timestamp": "000" + headers["X-Desk-Timestamp"]}
    assert [post_email(body, h).status_code for h in (headers, padded)] == [201, 200]
    assert Ticket.objects.count() == 1


def test_the_same_e_mail_signed_again_later_is_a_new_request(inbound_secret, northwind):
    # A provider that re-sends the same text with a new signature is a new delivery;
    # only the Message-ID (absent here) could tell that it is the same e-mail.
    now = int(timezone.now().timestamp())
    first = post_email(*_signed(timestamp=now))
    second = post_email(*_signed(timestamp=now - 1))
    assert (first.status_code, second.status_code) == (201, 201)
    assert Ticket.objects.count() == 2


def test_a_refused_request_is_not_remembered(inbound_secret, northwind):
    body, headers = _signed({**FIELDS, "to": "nobody@desk.example"})
    assert [post_email(body, headers).status_code for _ in range(2)] == [422, 422]
    assert not InboundDelivery.objects.exists()


def test_deliveries_older_than_the_window_are_purged(inbound_secret, northwind, settings):
    post_email(*_signed())
    later = timezone.now() + dt.timedelta(seconds=2 * settings.INBOUND_EMAIL_MAX_AGE + 1)
    assert deliveries_purge(now=timezone.now()) == 0
    assert deliveries_purge(now=later) == 1
    assert Ticket.objects.count() == 1  # the ticket stays


@pytest.mark.django_db(transaction=True)
def test_three_simultaneous_replays_open_one_ticket(inbound_secret, northwind):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent transactions (tests/with_services.sh)")
    body, headers = _signed()
    barrier = threading.Barrier(3)
    answers = []

    def send():
        try:
            barrier.wait()
            response = post_email(body, headers)
            answers.append((response.status_code, response.json()["ticket"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _ in answers) == [200, 200, 201]
    assert len({ticket for _, ticket in answers}) == 1
    assert Ticket.objects.count() == 1


# --- hostile headers and text --------------------------------------------------------------


def test_a_card_number_in_the_message_id_is_not_stored(inbound_secret, northwind):
    raw = eml(sender="grace@example.com", message_id="<4111111111111111@evil.example>")
    body, headers = _signed({"email": raw.decode()})
    assert post_email(body, headers).status_code == 201
    stored = InboundMessage.objects.get()
    assert "4111111111111111" not in stored.message_id
    assert stored.message_id == "<411111••••••1111@evil.example>"
    # Its key is keyed with the desk's secret: a plain SHA-256 of a card is reversible.
    assert stored.message_id_hash != hashlib.sha256(b"<4111111111111111@evil.example>").hexdigest()
    # ...and a redelivery (a new signature) is still recognised by it.
    again_body, again_headers = _signed(
        {"email": raw.decode()}, timestamp=int(timezone.now().timestamp()) - 5
    )
    assert post_email(again_body, again_headers).json()["duplicate"] is True


@pytest.mark.parametrize(
    "card", [CARD, "4111  1111  1111  1111", "4111.1111.1111.1111", "4111/1111/1111/1111"]
)
def test_a_card_in_the_subject_or_body_is_stored_redacted(inbound_secret, northwind, card):
    fields = {**FIELDS, "subject": f"card {card}", "text": f"my card\n{card.replace(' ', chr(10))}"}
    assert post_email(*_signed(fields)).status_code == 201
    ticket = Ticket.objects.get()
    stored = ticket.summary + "".join(ticket.events.values_list("message", flat=True))
    assert "1111" in stored and "4111111111111111" not in stored.replace(" ", "")
    assert "1111 1111" not in stored and "1111.1111" not in stored and "1111/1111" not in stored


def test_invisible_characters_in_an_e_mail_are_removed_and_noted(inbound_secret, northwind):
    fields = {**FIELDS, "subject": "invoice\u202efdp.exe", "text": "pay\u200bpal"}
    assert post_email(*_signed(fields)).status_code == 201
    ticket = Ticket.objects.get()
    comment = ticket.events.get(kind=TicketEvent.Kind.COMMENT).message
    assert "\u202e" not in ticket.summary and "invoicefdp.exe" in ticket.summary
    assert "paypal" in comment and "\u200b" not in comment
    assert "Invisible or direction-changing characters were removed" in comment


def test_a_deeply_nested_envelope_is_ignored_not_a_500(inbound_secret, northwind):
    fields = {**FIELDS, "envelope": '{"to": ' + "[" * 5000 + "]" * 5000 + "}"}
    assert post_email(*_signed(fields)).status_code == 201


def test_the_migration_redacts_message_ids_stored_raw_and_rekeys_them(northwind):
    migration = importlib.import_module("profiledesk.inbound.migrations.0003_redact_message_ids")
    raw = "<4111111111111111@evil.example>"
    plain = "<plain-1@mail.example>"
    for message_id in (raw, plain):
        InboundMessage.objects.create(
            client=northwind,
            message_id=message_id,
            message_id_hash=hashlib.sha256(message_id.encode()).hexdigest(),
            received_at=timezone.now(),
        )
    migration.redact_message_ids(registry, None)  # the live models stand in for the historical
    carded = InboundMessage.objects.get(message_id__contains="evil")
    assert carded.message_id == "<411111••••••1111@evil.example>"
    assert carded.message_id_hash == message_id_hash(raw)  # a redelivery still matches
    untouched = InboundMessage.objects.get(message_id=plain)
    assert untouched.message_id_hash == hashlib.sha256(plain.encode()).hexdigest()
