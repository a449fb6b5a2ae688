"""Helpers to post a signed inbound-parse webhook and to write .eml files."""

import io
from email.message import EmailMessage

import pytest
from django.test import Client as HttpClient
from django.test.client import encode_multipart
from PIL import Image

from profiledesk.inbound.signature import sign

SECRET = "inbound-test-secret-0123456789"
BOUNDARY = "profiledesk-test-boundary"
CARD = "4111 1111 1111 1111"
NORTHWIND_INBOX = "requests+northwind@desk.example"


@pytest.fixture
def inbound_secret(settings):
    settings.INBOUND_EMAIL_SECRET = SECRET
    return SECRET


def multipart(fields: dict) -> bytes:
    return encode_multipart(BOUNDARY, fields)


def post_email(body: bytes, headers: dict | None = None):
    """POST `body` (multipart) to the webhook with `headers` (the signature, usually)."""
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()}
    return HttpClient().post(
        "/inbound/email/",
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **extra,
    )


def post_signed(fields: dict, *, secret: str = SECRET, timestamp: int | None = None):
    body = multipart(fields)
    return post_email(body, sign(body, secret=secret, timestamp=timestamp))


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "PNG")
    return buffer.getvalue()


def eml(
    *,
    sender: str,
    to: str = NORTHWIND_INBOX,
    subject: str = "Please update my phone number",
    text: str | None = "My new mobile is +44 7700 900123. Thanks, Grace",
    html: str | None = None,
    message_id: str = "<m1@mail.example>",
    attachments: list[tuple[str, bytes, str]] = (),
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    if message_id:
        msg["Message-ID"] = message_id
    if text is not None:
        msg.set_content(text)
    if html is not None:
        if text is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    for name, content, mime in attachments:
        maintype, subtype = mime.split("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return bytes(msg)
