"""A Spanish customer's portal is Spanish on every page they reach once signed in: the
details page (its field labels are the profile's verbose names), each change form (labels,
help, choices, "(primary)"), a request's page (its category, status and the change as the
desk stored it), the "this wasn't me" steps — and dates in Spanish. English is looked for
as every msgid of the customer-facing files (tests/i18n/customer_facing.py) that reads
differently in Spanish, or has no Spanish at all."""

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import reverse

from profiledesk.confirmations.models import ReportLink
from profiledesk.customers.models import LanguageRegion
from profiledesk.i18n import catalogues
from profiledesk.i18n.extract import CONTEXT_SEPARATOR, msgids, translations
from profiledesk.portal.views import REQUEST_CATEGORIES
from profiledesk.tickets.models import Ticket
from tests.factories import TicketFactory
from tests.i18n.customer_facing import files

from .conftest import ask_code, page_text, sign_in, type_code, wrong

pytestmark = pytest.mark.django_db

# January: "Jan" and "January" are English, "ene" and "enero" Spanish.
WHEN = dt.datetime(2026, 1, 14, 9, 30, tzinfo=dt.UTC)
MONTH = "January|February|March|April|May|June|July|August|September|October|November|December"
# An English month in a date ("14 Jan 2026", "January 14"), not in a name ("Jan Mayen").
ENGLISH_DATE = re.compile(
    rf"\b\d{{1,2}}\s+(?:{MONTH}|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?\s+\d{{4}}\b"
    rf"|\b(?:{MONTH})\s+\d"
)
# A time zone's IANA name ("Canada/Atlantic") is an identifier, the same in every language.
TIME_ZONE = re.compile(r"\b[A-Z][\w-]*(?:/[\w+-]+)+")

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")
TAG = re.compile(r"<[^>]+>")
LETTERS = re.compile(r"[A-Za-z]{2}")


def english_msgids() -> list[str]:
    """Every msgid the customer-facing files mark, but for those Spanish writes the same
    way ("No", "SMS", "IBAN") and those with no word of their own ("%(value)s")."""
    spanish = translations([po for po in catalogues.po_files() if po.parent.parent.name == "es"])
    found = {msgid for path in files() for msgid in msgids(path)}
    return sorted(
        msgid
        for msgid in found
        if spanish.get(msgid) != msgid and LETTERS.search(PLACEHOLDER.sub("", msgid))
    )


def pattern(english: str) -> re.Pattern[str]:
    """The msgid as it shows: any value in its placeholders, any case (a verbose name is
    shown capitalised), whole words only."""
    english = english.split(CONTEXT_SEPARATOR)[-1]  # "portal" + EOT + msgid: the msgid
    parts = [re.escape(part) for part in PLACEHOLDER.split(TAG.sub("", english))]
    return re.compile(r"(?<!\w)" + ".+?".join(parts) + r"(?!\w)", re.IGNORECASE)


def english_in(html: str, english: list[str]) -> list[str]:
    # What the customer reads: the text, not the markup; the language switch names each
    # language in itself ("English").
    text = TIME_ZONE.sub(" ", TAG.sub(" ", html).replace("English", " "))
    found = [msgid for msgid in english if pattern(msgid).search(text)]
    return found + ENGLISH_DATE.findall(text)


PREFS = {
    "category": "preferences",
    "marketing_email": "True",
    "email_notifications": "True",
    "sms_notifications": "True",
    "marketing_sms": "False",
    "confirm_by_email": "True",
    "confirm_by_sms": "False",
    "confirm_in_app": "False",
    "auto_renew": "True",
}
ADDRESS = {
    "category": "contact",
    "address_line1": "1 Calle Mayor",
    "address_city": "Madrid",
    "address_postal_code": "28013",
    "address_country": "ES",
}


@pytest.fixture
def spanish(northwind, customer, email, codes, personas):
    """A Spanish customer signed in (the profile's language, not the browser's), with a
    preference changed at once, an address change waiting for the desk and a password
    reset the desk opened on a call (its category is not one the portal offers)."""
    region = LanguageRegion.objects.get(customer=customer)
    region.language, region.locale, region.country = "es", "es-ES", "ES"
    region.time_zone = "Europe/Madrid"
    region.save()
    with time_machine.travel(WHEN, tick=False):
        http = sign_in(HttpClient(HTTP_ACCEPT_LANGUAGE="en"), northwind.slug, email, codes)
        change = reverse("portal:change", kwargs={"slug": northwind.slug})
        assert http.post(change, PREFS).status_code == 302
        assert http.post(change, ADDRESS).status_code == 302
        TicketFactory(customer=customer, created_by=personas["agent"], category="security")
    return http


def test_the_check_sees_english_labels_categories_and_months():
    english = english_msgids()
    assert "legal name" in english and "Contact details" in english
    assert english_in("<dt>Legal name</dt><dd>G•••</dd>", english) == ["legal name"]
    assert english_in("<li>PD-1 · Contact details · 14 Jan 2026</li>", english) == [
        "Contact details",
        "14 Jan 2026",
    ]
    assert english_in("<dt>Nombre legal</dt><dd>14 de enero de 2026</dd>", english) == []


def test_every_page_a_signed_in_spanish_customer_reaches_is_spanish(spanish, northwind, customer):
    slug = {"slug": northwind.slug}
    change = reverse("portal:change", kwargs=slug)
    preferences, address, security = Ticket.objects.filter(customer=customer).order_by("id")
    link = ReportLink.objects.get(ticket=preferences)
    report = reverse("portal:report", kwargs={**slug, "link_id": link.pk})

    def request(ticket: Ticket) -> str:
        return reverse("portal:request", kwargs={**slug, "reference": ticket.reference})

    with time_machine.travel(WHEN + dt.timedelta(minutes=5), tick=False):
        pages = {
            "details": spanish.get(reverse("portal:home", kwargs=slug)),
            "choose": spanish.get(change),
            **{
                f"form {category.value}": spanish.get(f"{change}?category={category.value}")
                for category in REQUEST_CATEGORIES
            },
            "form with errors": spanish.post(change, {**ADDRESS, "address_postal_code": "?"}),
            "request applied": spanish.get(request(preferences) + "?sent=1"),
            "request waiting": spanish.get(request(address) + "?sent=1"),
            "request by the desk": spanish.get(request(security)),
            "report": spanish.get(report),
            "report done": spanish.post(report),
            "report used": spanish.post(report),
        }
    english = english_msgids()

    statuses = {name: page.status_code for name, page in pages.items()}
    assert statuses == {
        **dict.fromkeys(pages, 200),
        "form with errors": 400,
        "report used": 410,
    }
    for name, page in pages.items():
        html = page_text(page)
        assert '<html lang="es">' in html, name
        assert page["Content-Language"] == "es", name
        assert english_in(html, english) == [], (name, html)
    # The portal speaks "usted" throughout, the "this wasn't me" steps too (the page
    # behind the message's link says "tú": the same English, another msgctxt).
    for name in ("report", "report done"):
        html = page_text(pages[name])
        assert "tu perfil" not in html and "has hecho" not in html, name
        assert "su perfil" in html, name


def test_dates_are_written_the_spanish_way(spanish, northwind, customer):
    slug = {"slug": northwind.slug}
    ticket = Ticket.objects.filter(customer=customer, channel="web").order_by("id").last()

    with time_machine.travel(WHEN + dt.timedelta(minutes=5), tick=False):
        details = page_text(spanish.get(reverse("portal:home", kwargs=slug)))
        request = page_text(
            spanish.get(reverse("portal:request", kwargs={**slug, "reference": ticket.reference}))
        )

    for html in (details, request):
        assert "14 de enero de 2026" in html


def test_a_label_keeps_its_capitals(spanish, northwind):
    """A verbose name starts with a capital on the page and the form; the rest is as
    translated."""
    slug = {"slug": northwind.slug}
    with time_machine.travel(WHEN + dt.timedelta(minutes=5), tick=False):
        details = page_text(spanish.get(reverse("portal:home", kwargs=slug)))
        form = page_text(
            spanish.get(reverse("portal:change", kwargs=slug) + "?category=preferences")
        )

    assert "<dt>SMS de servicio</dt>" in details and "SMS de servicio" in form
    assert "Sms" not in details + form


def test_an_english_customer_keeps_the_english_pages(northwind, customer, email, codes):
    with time_machine.travel(WHEN, tick=False):
        http = sign_in(HttpClient(HTTP_ACCEPT_LANGUAGE="es"), northwind.slug, email, codes)
        http.post(reverse("portal:change", kwargs={"slug": northwind.slug}), ADDRESS)
        html = page_text(http.get(reverse("portal:home", kwargs={"slug": northwind.slug})))

    assert '<html lang="en">' in html
    assert "Legal name" in html and "Contact details" in html and "14 Jan 2026" in html


def test_the_pages_before_signing_in_are_spanish_for_a_spanish_browser(northwind, email, codes):
    http = HttpClient(HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
    slug = {"slug": northwind.slug}
    pages = {
        "company": http.get(reverse("portal:index")),
        "unknown company": http.post(reverse("portal:index"), {"client": "nobody"}),
        "sign in": http.get(reverse("portal:sign_in", kwargs=slug)),
        "code": ask_code(http, northwind.slug, email),
    }
    pages["code"] = http.get(pages["code"]["Location"])
    pages["wrong code"] = type_code(http, northwind.slug, wrong(codes[-1].code))
    english = english_msgids()

    for name, page in pages.items():
        html = page_text(page)
        assert '<html lang="es">' in html, name
        assert english_in(html, english) == [], (name, html)
