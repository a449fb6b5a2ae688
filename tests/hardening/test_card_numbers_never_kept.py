"""Card numbers written any way a person (or someone dodging a filter) could write them —
any Unicode decimal digits, split by any mix of spaces, no-break and other Unicode
spaces, dots, dashes, slashes, underscores, line breaks and invisible characters — never
reach the database, a log line or a page, through the desk's real entry points: a
comment, an inbound e-mail (subject, body, Message-ID, attachment name), an API request,
a customer search (PCI DSS 3.4.1, 3.5.1)."""

import io
import logging
import re
import sys
import time
import unicodedata
import uuid
from urllib.parse import quote, quote_plus

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from stdnum import luhn

from audit.services import audit_record
from profiledesk.api.keys import api_key_create
from profiledesk.inbound.signature import sign
from profiledesk.privacy.logging import RedactFilter
from profiledesk.tickets.models import Ticket
from profiledesk.vault.cards import redact_card_numbers
from tests.conftest import signed_in
from tests.factories import TicketFactory
from tests.inbound.conftest import NORTHWIND_INBOX, SECRET, multipart, post_email

# --- what people type ----------------------------------------------------------------------

BRAND_PREFIXES = ["4", "51", "55", "2221", "2720", "34", "37", "6011", "65", "3528", "36", "6759"]
# The separator set is built here from Unicode's own categories, not copied from the code
# under test: every space separator, every dash, line breaks, and the look-alikes.
_BMP = [chr(c) for c in range(0x10000)]
SPACES = [
    *(c for c in _BMP if unicodedata.category(c) in ("Zs", "Zl", "Zp")),
    *"\t\n\r\x0b\x0c\x85",
]
DASHES = [*(c for c in _BMP if unicodedata.category(c) == "Pd"), "\u2212"]
OTHERS = [
    *"./_",
    "\u00b7",
    "\u2024",
    "\u3002",
    "\uff0e",
    "\u2044",
    "\u2215",
    "\uff0f",
    "\uff3f",
]
INVISIBLE = [
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u202e",
    "\u2066",
    "\u200e",
]
SEPARATORS = SPACES + DASHES + OTHERS + INVISIBLE
# Zero of each script whose digits are tried (ASCII most often): full-width, Arabic-Indic,
# Extended Arabic-Indic, Devanagari, Bengali, Thai, mathematical bold.
ZEROS = [0x30, 0x30, 0x30, 0xFF10, 0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0x1D7CE]

START, END = "QQSTART", "QQEND"  # the card sits between these (no digit, no separator)


def _card(prefix: str, length: int, body: str) -> str:
    partial = (prefix + body)[: length - 1]
    return partial + luhn.calc_check_digit(partial)


cards = st.builds(
    _card,
    prefix=st.one_of(st.sampled_from(BRAND_PREFIXES), st.just("")),  # "": random digits
    length=st.integers(13, 19),
    body=st.text(alphabet="0123456789", min_size=19, max_size=19),
)


@st.composite
def written(draw, card: str) -> str:
    """`card` in random scripts, cut into random groups, joined by random separators."""
    out = []
    for position, digit in enumerate(card):
        if position and draw(st.booleans()):
            out.append(draw(st.text(alphabet=st.sampled_from(SEPARATORS), min_size=1, max_size=3)))
        out.append(chr(draw(st.sampled_from(ZEROS)) + int(digit)))
    return "".join(out)


words = st.text(
    alphabet=st.characters(
        categories=["L", "P"], exclude_characters="%+" + "".join(OTHERS + DASHES)
    ),
    max_size=15,
)


@st.composite
def free_text(draw) -> tuple[str, str]:
    """(text holding a card, the card's ASCII digits)."""
    card = draw(cards)
    return f"{draw(words)} {START}{draw(written(card))}{END} {draw(words)}", card


# --- where a card must never be --------------------------------------------------------------


def _digits(text: str) -> str:
    return "".join(
        str(unicodedata.decimal(c)) for c in text if unicodedata.decimal(c, None) is not None
    )


def readable_in(text: str, card: str) -> bool:
    """The card's digits, in order, between the markers around it (whatever separates them)."""
    return any(card in _digits(part) for part in re.findall(f"{START}(.*?){END}", text, re.S))


def database_texts() -> list[str]:
    """Every text and JSON value of every row of every table of the desk."""
    texts = []
    for model in apps.get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(
                f, models.CharField | models.TextField | models.JSONField | models.FileField
            )
        ]
        for row in model._default_manager.values_list(*fields) if fields else []:
            texts.extend(str(value) for value in row if value)
    return texts


def logged(*lines: str) -> str:
    """What the desk's log handler writes for `lines` (access-log style and as said)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactFilter())
    logger = logging.getLogger("tests.card_numbers")
    logger.addHandler(handler)
    try:
        for line in lines:
            logger.warning("%s", line)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


# --- the journeys ----------------------------------------------------------------------------

SETTINGS = settings(
    max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


@pytest.fixture
def desk(northwind, customer, personas, settings):
    settings.INBOUND_EMAIL_SECRET = SECRET
    _, key = api_key_create(client=northwind, name="Mobile app")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return {
        "agent": signed_in(personas["agent"]),
        "ticket": TicketFactory(customer=customer, created_by=personas["agent"]),
        "api": api,
        "customer": customer,
    }


@SETTINGS
@given(typed=free_text())
def test_a_card_in_a_comment_is_not_stored_nor_shown(desk, typed):
    text, card = typed
    ticket, http = desk["ticket"], desk["agent"]
    response = http.post(reverse("tickets:comment", args=[ticket.reference]), {"body": text})
    assert response.status_code in (302, 400)  # 400: invisible characters are refused
    page = http.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert not readable_in(page, card)
    assert not any(readable_in(value, card) for value in database_texts())
    if response.status_code == 302:  # it was stored: redacted, and it is there
        assert START in ticket.events.latest("pk").message


@SETTINGS
@given(typed=free_text())
def test_a_card_in_an_inbound_e_mail_is_not_stored_nor_shown(desk, typed):
    text, card = typed
    header_safe = re.sub(r"[\r\n\x0b\x0c\x85\u2028\u2029]", "", text)
    fields = {
        "from": "Grace Hopper <grace@example.com>",
        "to": NORTHWIND_INBOX,
        "subject": header_safe,
        "text": text,
        "Message-Id": f"<{header_safe.replace(' ', '')}.{uuid.uuid4().hex}@evil.example>",
        "attachment1": SimpleUploadedFile(header_safe.replace("/", "") + ".txt", b"x"),
    }
    body = multipart(fields)
    response = post_email(body, sign(body, secret=SECRET, timestamp=int(time.time())))
    assert response.status_code == 201
    ticket = Ticket.objects.get(reference=response.json()["ticket"])
    page = desk["agent"].get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert not readable_in(page, card)
    stored = database_texts()
    assert not any(readable_in(value, card) for value in stored)
    assert START in ticket.summary and any(START in e.message for e in ticket.events.all())


@SETTINGS
@given(typed=free_text())
def test_a_card_in_an_api_request_is_not_stored_nor_answered(desk, typed):
    text, card = typed
    response = desk["api"].post(
        "/api/v1/change-requests/",
        {
            "customer": desk["customer"].number,
            "category": "contact",
            "changes": {"email": f"n{uuid.uuid4().hex[:8]}@example.com"},
            "summary": text[:200],
            "comment": text,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code in (201, 400)  # 400: invisible characters are refused
    assert not readable_in(response.content.decode(), card)
    assert not any(readable_in(value, card) for value in database_texts())
    if response.status_code == 201:
        reference = response.json()["reference"]
        page = desk["agent"].get(reverse("tickets:detail", args=[reference])).content.decode()
        assert START in page and not readable_in(page, card)


@SETTINGS
@given(typed=free_text())
def test_a_card_searched_for_or_logged_is_never_written(desk, typed):
    text, card = typed
    http = desk["agent"]
    for response in (
        http.post(reverse("customers:search"), {"q": text}),
        http.get(reverse("customers:search"), {"q": text}),
    ):
        assert "Location" not in response  # never sent on to a URL
        assert not readable_in(response.content.decode(), card)
    written_out = logged(
        text,
        f'"GET /customers/?q={quote(text)} HTTP/1.1" 200',
        f'"GET /customers/?q={quote_plus(text)} HTTP/1.1" 200',
        f'"GET /customers/?q={quote(quote(text))} HTTP/1.1" 200',
    )
    assert not readable_in(written_out, card)
    assert not any(readable_in(value, card) for value in database_texts())


# --- the false-positive guard ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "550e8400-e29b-41d4-a716-446655440000",  # a UUID with a 15-digit all-digit stretch
        "12345678-1234-5678-1234-567812345678",
        "call me on +44 7700 900123 or +1 (212) 555-0100",
        "ticket PD-000123, order 2025-01-31, 12:00",
    ],
)
def test_identifiers_and_phone_numbers_are_left_alone(text):
    assert redact_card_numbers(text) == text


def test_the_generated_separators_cover_what_the_issue_names():
    for sep in ["  ", "\u00a0", "\u202f", "\u3000", ".", "/", "_", "\n", "\u2013", "\u200b"]:
        assert all(ch in SEPARATORS for ch in sep)
    assert sys.maxunicode >= 0x1D7CE  # mathematical bold digits exist on this Python


@SETTINGS
@given(typed=free_text())
def test_a_card_in_audit_event_details_is_not_stored(desk, typed):
    text, card = typed
    event = audit_record(action="test.note", data={"reason": text, "nested": [{"name": text}]})
    assert START in event.data["reason"] and START in event.data["nested"][0]["name"]
    assert not readable_in(str(event.data), card)
    assert not any(readable_in(value, card) for value in database_texts())
