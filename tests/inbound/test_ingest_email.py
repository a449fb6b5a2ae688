"""python manage.py ingest_email FILE.eml: matched, unmatched, redacted, attachments."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from profiledesk.tickets.models import Channel, State, Ticket
from tests.inbound.conftest import CARD, eml, png_bytes


def _ingest(tmp_path, raw: bytes, *args) -> str:
    path = tmp_path / "message.eml"
    path.write_bytes(raw)
    out = StringIO()
    call_command("ingest_email", str(path), *args, stdout=out)
    return out.getvalue()


def _sender_of(customer) -> str:
    return customer.emails.get(is_primary=True).email


def test_an_eml_from_a_customer_opens_an_email_ticket_matched_to_them(tmp_path, customer):
    output = _ingest(tmp_path, eml(sender=f"Grace <{_sender_of(customer)}>"))
    ticket = Ticket.objects.get()
    assert f"{ticket.reference}: opened for customer {customer.number}" in output
    assert (ticket.customer, ticket.channel, ticket.state) == (customer, Channel.EMAIL, State.NEW)
    assert ticket.summary == "By e-mail: Please update my phone number"
    assert "+44 7700 900123" in ticket.events.get(kind="comment").message


def test_an_eml_from_an_unknown_sender_opens_an_unmatched_ticket(tmp_path, northwind):
    output = _ingest(tmp_path, eml(sender="someone@elsewhere.example"))
    ticket = Ticket.objects.get()
    assert "unmatched" in output
    assert (ticket.client, ticket.customer) == (northwind, None)


def test_the_client_can_be_named_on_the_command_line(tmp_path, customer, solaris):
    _ingest(
        tmp_path, eml(sender=_sender_of(customer), to="help@solaris.example"), "--client", "solaris"
    )
    assert Ticket.objects.get().client == solaris


def test_an_eml_addressed_to_no_client_is_an_error(tmp_path, customer):
    with pytest.raises(CommandError, match="No client is addressed"):
        _ingest(tmp_path, eml(sender=_sender_of(customer), to="someone@desk.example"))


def test_a_missing_file_is_an_error(tmp_path, db):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("ingest_email", str(tmp_path / "nope.eml"), stdout=StringIO())


def test_a_card_number_in_the_email_body_is_redacted(tmp_path, customer):
    _ingest(
        tmp_path,
        eml(sender=_sender_of(customer), subject="New card", text=f"Use {CARD} from now on"),
    )
    ticket = Ticket.objects.get()
    comment = ticket.events.get(kind="comment").message
    assert CARD.replace(" ", "") not in comment.replace(" ", "")
    assert ticket.category == "billing"


def test_the_same_message_ingested_twice_is_one_ticket(tmp_path, customer):
    raw = eml(sender=_sender_of(customer))
    _ingest(tmp_path, raw)
    assert "already ingested" in _ingest(tmp_path, raw)
    assert Ticket.objects.count() == 1


def test_attachments_of_an_eml_are_kept_when_allowed(tmp_path, customer):
    raw = eml(
        sender=_sender_of(customer),
        attachments=[
            ("id.png", png_bytes(), "image/png"),
            ("run-me.sh", b"#!/bin/sh\necho hi\n", "application/x-sh"),
        ],
    )
    _ingest(tmp_path, raw)
    ticket = Ticket.objects.get()
    assert list(ticket.attachments.values_list("original_name", flat=True)) == ["id.png"]
    assert "run-me.sh" in ticket.events.filter(kind="comment").last().message


def test_an_html_only_eml_is_read_as_text(tmp_path, customer):
    _ingest(
        tmp_path,
        eml(
            sender=_sender_of(customer),
            subject="After my wedding",
            text=None,
            html="<html><body><p>Change my <i>surname</i></p></body></html>",
        ),
    )
    ticket = Ticket.objects.get()
    assert "Change my surname" in ticket.events.get(kind="comment").message
    assert ticket.category == "personal"
