"""POST /inbound/email/: the signature, then a ticket matched (or not) by sender address."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from profiledesk.tickets.models import Channel, State, Ticket, TicketEvent
from tests.inbound.conftest import (
    CARD,
    NORTHWIND_INBOX,
    SECRET,
    eml,
    multipart,
    png_bytes,
    post_email,
    post_signed,
)


def _fields(sender: str, **extra) -> dict:
    return {
        "from": f"Grace Hopper <{sender}>",
        "to": NORTHWIND_INBOX,
        "subject": "New phone number",
        "text": "Please change my mobile to +44 7700 900123.",
        **extra,
    }


def _sender_of(customer) -> str:
    return customer.emails.get(is_primary=True).email


# --- the signature ------------------------------------------------------------------------


def test_without_a_configured_secret_every_post_is_refused(customer, settings):
    settings.INBOUND_EMAIL_SECRET = ""
    response = post_signed(_fields(_sender_of(customer)))
    assert response.status_code == 403
    assert "not configured" in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_an_unsigned_post_is_refused(inbound_secret, customer):
    response = post_email(multipart(_fields(_sender_of(customer))))
    assert response.status_code == 403
    assert "X-Desk-Signature" in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_a_post_signed_with_another_secret_is_refused(inbound_secret, customer):
    response = post_signed(_fields(_sender_of(customer)), secret="not-the-secret")
    assert response.status_code == 403
    assert response.json()["detail"] == "The signature does not match the request."


def test_a_stale_signature_is_refused(inbound_secret, customer):
    response = post_signed(_fields(_sender_of(customer)), timestamp=int(time.time()) - 3600)
    assert response.status_code == 403
    assert "too old" in response.json()["detail"]


def test_a_body_changed_after_signing_is_refused(inbound_secret, customer):
    from profiledesk.inbound.signature import sign

    signed = multipart(_fields(_sender_of(customer)))
    tampered = signed.replace(b"+44 7700 900123", b"+44 7700 900999")
    response = post_email(tampered, sign(signed, secret=SECRET))
    assert response.status_code == 403


def test_a_get_is_not_allowed(inbound_secret, client):
    assert client.get("/inbound/email/").status_code == 405


# --- the ticket ---------------------------------------------------------------------------


def test_a_signed_email_from_a_customer_opens_an_email_ticket_for_them(inbound_secret, customer):
    response = post_signed(_fields(_sender_of(customer).upper()))
    assert response.status_code == 201
    assert response.json()["customer_matched"] is True
    ticket = Ticket.objects.get(reference=response.json()["ticket"])
    assert (ticket.client.slug, ticket.customer, ticket.channel, ticket.state) == (
        "northwind",
        customer,
        Channel.EMAIL,
        State.NEW,
    )
    assert ticket.category == "contact"
    assert ticket.summary == "By e-mail: New phone number"
    comment = ticket.events.get(kind=TicketEvent.Kind.COMMENT).message
    assert "+44 7700 900123" in comment
    assert "Identity not verified" in comment


def test_an_email_from_an_unknown_sender_opens_an_unmatched_ticket(inbound_secret, northwind):
    response = post_signed(_fields("stranger@example.net"))
    assert response.status_code == 201
    assert response.json()["customer_matched"] is False
    ticket = Ticket.objects.get(reference=response.json()["ticket"])
    assert ticket.customer is None and ticket.client == northwind
    assert "match the request to a customer" in ticket.events.get(kind="comment").message


def test_a_customer_of_another_client_is_not_matched(inbound_secret, customer, solaris):
    fields = _fields(_sender_of(customer), to="requests+solaris@desk.example")
    ticket = Ticket.objects.get(reference=post_signed(fields).json()["ticket"])
    assert (ticket.client, ticket.customer) == (solaris, None)


def test_an_email_addressed_to_no_client_is_refused_with_a_reason(inbound_secret, customer):
    response = post_signed(_fields(_sender_of(customer), to="requests@desk.example"))
    assert response.status_code == 422
    assert "requests+<client slug>" in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_a_card_number_in_the_body_is_redacted(inbound_secret, customer):
    fields = _fields(
        _sender_of(customer),
        subject="New card",
        text=f"Please charge my new card {CARD}, thanks",
    )
    ticket = Ticket.objects.get(reference=post_signed(fields).json()["ticket"])
    comment = ticket.events.get(kind="comment").message
    assert CARD not in comment and CARD.replace(" ", "") not in comment.replace(" ", "")
    assert ticket.category == "billing"


def test_an_html_only_email_is_kept_as_text(inbound_secret, customer):
    fields = _fields(_sender_of(customer), text="", html="<p>Move me to <b>Leeds</b></p>")
    ticket = Ticket.objects.get(reference=post_signed(fields).json()["ticket"])
    comment = ticket.events.get(kind="comment").message
    assert "Move me to Leeds" in comment and "<b>" not in comment


def test_a_redelivered_email_opens_no_second_ticket(inbound_secret, customer):
    fields = _fields(_sender_of(customer), **{"Message-Id": "<abc@mail.example>"})
    first, second = post_signed(fields), post_signed(fields)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["ticket"] == second.json()["ticket"]
    assert second.json()["duplicate"] is True
    assert Ticket.objects.count() == 1


def test_an_image_is_kept_and_an_executable_is_refused(inbound_secret, customer):
    fields = _fields(
        _sender_of(customer),
        attachment1=SimpleUploadedFile("passport.png", png_bytes(), "image/png"),
        attachment2=SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"),
    )
    ticket = Ticket.objects.get(reference=post_signed(fields).json()["ticket"])
    kept = ticket.attachments.get()
    assert (kept.original_name, kept.content_type) == ("passport.png", "image/png")
    assert kept.size == len(png_bytes())
    note = ticket.events.filter(kind="comment").last().message
    assert "invoice.pdf" in note and "not a PDF, JPEG or PNG" in note


def test_a_provider_posting_the_raw_message_is_understood(inbound_secret, customer):
    raw = eml(sender=_sender_of(customer), subject="I forgot my password")
    response = post_signed({"email": raw.decode(), "to": NORTHWIND_INBOX})
    assert response.status_code == 201
    ticket = Ticket.objects.get(reference=response.json()["ticket"])
    assert (ticket.customer, ticket.category) == (customer, "security")


@pytest.mark.parametrize("size_over", [1])
def test_an_email_over_the_size_limit_is_refused(inbound_secret, customer, settings, size_over):
    settings.INBOUND_EMAIL_MAX_BYTES = 1000
    fields = _fields(_sender_of(customer), text="x" * (1000 + size_over))
    assert post_signed(fields).status_code == 413
