"""Every string of the portal's own catalogue has its Spanish (issue 17), and a Spanish
page reads Spanish once the catalogue is compiled (`make run` / `make test` compile it)."""

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.test import Client as HttpClient
from django.urls import reverse

import profiledesk.portal

LOCALE = Path(profiledesk.portal.__file__).parent / "locale" / "es" / "LC_MESSAGES"


def test_every_portal_string_has_spanish():
    with (LOCALE / "django.po").open("rb") as po:
        catalogue = read_po(po, locale="es")
    untranslated = [m.id for m in catalogue if m.id and not m.string]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert len(catalogue) > 50
    assert untranslated == [] and fuzzy == []


@pytest.mark.django_db
def test_a_spanish_visitor_reads_spanish(northwind):
    if not (LOCALE / "django.mo").exists():
        pytest.skip("the catalogue is compiled by make run / make test")
    page = HttpClient().get(
        reverse("portal:sign_in", kwargs={"slug": northwind.slug}), HTTP_ACCEPT_LANGUAGE="es"
    )
    text = page.content.decode()
    assert "Inicie sesión para gestionar sus datos" in text and "Enviarme un código" in text
