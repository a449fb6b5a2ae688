"""A Spanish customer reads Spanish only: their confirmation e-mail and SMS (labels and
desk-written values included: "Phone number (E.164)" was English in Spanish messages),
their in-app notification, their one-time code and the "this wasn't me" page contain no
English sentence of the English catalogue — while staff still read the ticket in English.
"""

import re

import pytest
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse

from profiledesk.confirmations.services import confirmations_create
from profiledesk.customers.models import LanguageRegion, Preferences
from profiledesk.i18n import catalogues
from profiledesk.i18n.extract import translations
from profiledesk.messaging import sms
from profiledesk.messaging.models import Channel
from profiledesk.messaging.rendering import message_render
from profiledesk.tickets.services import ItemDraft
from tests.confirmations.conftest import (
    link_token,
    mark_applied,
    open_ticket,
    phone_change,
    send,
    sent_content,
    set_fields,
)

pytestmark = pytest.mark.django_db

URL = re.compile(r"https?://\S+")


def english_sentences() -> list[str]:
    """The English of every Spanish catalogue whose Spanish differs ("IBAN" does not)."""
    spanish = translations([po for po in catalogues.po_files() if po.parent.parent.name == "es"])
    # A msgid with a context is keyed "context" + EOT + msgid (extract.CONTEXT_SEPARATOR).
    return [english.split("\x04")[-1] for english, text in spanish.items() if text != english]


PLACEHOLDER = re.compile(r"%\(\w+\)s")
TAG = re.compile(r"<[^>]+>")  # what is read is the text, not the markup (type="image/…")


def pattern(english: str) -> re.Pattern[str]:
    """The msgid as it shows: any value in its placeholders, any case (a label is shown
    with a capital), whole words only."""
    parts = [re.escape(part) for part in PLACEHOLDER.split(TAG.sub("", english))]
    return re.compile(r"(?<!\w)" + ".+?".join(parts) + r"(?!\w)", re.IGNORECASE)


def english_in(text: str) -> list[str]:
    text = URL.sub(" ", TAG.sub(" ", text))  # a token is random letters
    return [english for english in english_sentences() if pattern(english).search(text)]


@pytest.fixture
def spanish(customer):
    set_fields(LanguageRegion.objects.get(customer=customer), language="es-ES")
    set_fields(Preferences.objects.get(customer=customer), confirm_by_sms=True)
    return customer


def preference_change(customer):
    """A preference switched on: its display is the desk's "Yes"."""
    return mark_applied(
        open_ticket(
            customer,
            category="preferences",
            items=[
                ItemDraft(
                    section="preferences",
                    field="preferences.marketing_email",
                    label="Promotional e-mails",
                    old_display="No",
                    new_value="true",
                    new_display="Yes",
                )
            ],
        )
    )


def test_the_check_sees_english():
    assert "phone number (E.164)" in english_in("Phone number (E.164): +34 •••• ••1234")
    assert english_in("Número de teléfono (E.164): +34 •••• ••1234") == []
    page = "We confirmed a change to your profile under reference "
    page += '<strong class="text-nowrap">PD-1</strong>.'
    assert english_in(page) != []


def test_a_phone_change_is_confirmed_in_spanish_by_e_mail_and_sms(spanish):
    ticket, _old = phone_change(spanish)
    set_fields(ticket.items.get(), label="Phone number (E.164)")  # as capture stores it

    messages = confirmations_create(ticket=ticket)
    for message in messages:
        send(message)

    by_channel = {message.channel for message in messages}
    assert by_channel == {Channel.EMAIL, Channel.SMS}  # old and new phone, the e-mail
    [email] = mail.outbox
    texts = [email.subject, email.body, email.alternatives[0][0], *(s["text"] for s in sms.outbox)]
    for text in texts:
        assert english_in(text) == [], text
    assert "Número de teléfono (E.164)" in email.body
    assert all("Número de teléfono (E.164)" in s["text"] for s in sms.outbox)
    # Nothing translated was stored: staff read the ticket in the desk's English.
    assert ticket.items.get().label == "Phone number (E.164)"


def test_the_same_change_for_an_english_customer_is_english(customer):
    ticket, _old = phone_change(customer)

    [message, *_] = confirmations_create(ticket=ticket)

    assert "Phone number (E.164)" in sent_content(message)["text"]


def test_desk_written_values_are_spanish_too(spanish):
    ticket = preference_change(spanish)

    [email, text_message] = sorted(confirmations_create(ticket=ticket), key=lambda m: m.channel)
    body = sent_content(email)["text"]

    assert "Correos electrónicos promocionales: No -> Sí" in body
    assert english_in(body) == [] and english_in(sent_content(text_message)["text"]) == []


def test_the_one_time_code_is_spanish(spanish):
    rendered = message_render(
        client_slug=spanish.client.slug,
        template="otp",
        language="es-ES",
        context={"code": "123456", "valid_minutes": 10, "client_name": "Northwind"},
    )

    assert "Tu código de verificación" in rendered.text
    for part in rendered.as_dict().values():
        assert english_in(part) == []


def test_the_report_page_is_spanish_through_every_step(spanish):
    ticket, _old = phone_change(spanish)
    [message, *_] = confirmations_create(ticket=ticket)
    token = link_token(message)
    url = reverse("confirmations:report", args=[token])
    http = HttpClient()  # the browser asks for English: the profile's language wins

    pages = [
        http.get(url, HTTP_ACCEPT_LANGUAGE="en"),
        http.post(url, HTTP_ACCEPT_LANGUAGE="en"),
        http.get(url + "?lang=es", HTTP_ACCEPT_LANGUAGE="en"),  # used
    ]

    for page in pages:
        html = page.content.decode()
        assert '<html lang="es">' in html and page["Content-Language"] == "es"
        assert english_in(html.replace(">English<", "><")) == [], html


def test_the_customer_may_switch_the_report_page_to_english(spanish):
    ticket, _old = phone_change(spanish)
    [message, *_] = confirmations_create(ticket=ticket)
    url = reverse("confirmations:report", args=[link_token(message)])

    page = HttpClient().get(url + "?lang=en", HTTP_ACCEPT_LANGUAGE="es")

    html = page.content.decode()
    assert '<html lang="en">' in html and "Did you not make this change?" in html
    spanish_words = [t for t in ("¿No has hecho", "bloquear mi perfil") if t in html]
    assert spanish_words == []
