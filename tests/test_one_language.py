"""One language a page: the staff desk is English only, so a browser asking for any other
language (or a customer's language cookie, or `?lang=`) gets English everywhere — the
sign-in page, the desk, the admin, Django's own strings (form labels, errors, the admin's
chrome) — never half a page in Django's Spanish.

Customer pages (/confirm/ "this wasn't me", /portal/) are in the customer's language,
English or Spanish (profiledesk.i18n), each whole: a Spanish page holds no English of the
catalogues, an English one no Spanish (also tests/i18n/test_spanish_customer.py).
"""

import pytest
from django.urls import reverse
from django.utils import translation

from profiledesk.i18n import catalogues
from profiledesk.i18n.extract import translations
from tests.conftest import signed_in

# Browsers as the floor's and the customers' may be set up.
ACCEPT_LANGUAGES = ["es", "es-ES,es;q=0.9", "fr-FR", "de", "pt-BR", "ja", "es;q=0.9, en;q=0.8"]

# Strings Django itself translates that these pages show (auth form, admin chrome,
# required-field errors). The leak check uses each one's translation in the language asked.
DJANGO_STRINGS = [
    "Username",
    "Password",
    "This field is required.",
    "Site administration",
    "Change password",
    "Log out",
    "Home",
    "Add",
    "Change",
    "Save",
    "Save and continue editing",
    "Delete",
    "Recent actions",
    "Filter",
    "Search",
    "Welcome,",
    "View site",
    "Authentication and Authorization",
]


def leaked(html: str, accept: str, *, english: str = "") -> list[str]:
    """Django's translations, in the language the browser asked for, found in `html` and
    not in the `english` page (German "Start" is also an English word)."""
    language = accept.split(",")[0].split(";")[0].strip().lower()
    english_page, found = english, []
    for base in dict.fromkeys([language, language.split("-")[0]]):
        with translation.override(base):
            for english in DJANGO_STRINGS:
                foreign = translation.gettext(english)
                if foreign != english and foreign in html and foreign not in english_page:
                    found.append(f"{english!r} as {foreign!r} ({base})")
    return found


def test_the_leak_check_sees_a_spanish_page():
    """The check itself: Django does ship Spanish, and a Spanish page would fail."""
    with translation.override("es"):
        spanish = translation.gettext("Username") + " " + translation.gettext("Log out")
    assert spanish != "Username Log out"
    assert leaked(spanish, "es") != []


@pytest.mark.parametrize("accept", ACCEPT_LANGUAGES)
def test_the_sign_in_page_is_english_whatever_the_browser_asks(client, db, accept):
    page = client.post(reverse("accounts:login"), {}, HTTP_ACCEPT_LANGUAGE=accept)
    html = page.content.decode()
    assert page.status_code == 200
    assert page["Content-Language"] == "en"
    assert '<html lang="en">' in html
    assert "Username" in html and "This field is required." in html
    assert leaked(html, accept) == []


@pytest.mark.parametrize("accept", ACCEPT_LANGUAGES)
def test_the_desk_and_the_admin_are_english_whatever_the_browser_asks(personas, northwind, accept):
    pages = {
        personas["agent"]: [reverse("tickets:queue"), reverse("customers:search")],
        personas["desk_admin"]: [
            reverse("admin:index"),
            reverse("admin:clients_client_changelist"),
            reverse("admin:clients_client_change", args=[northwind.pk]),
        ],
    }
    for user, urls in pages.items():
        http = signed_in(user)
        for url in urls:
            english = http.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
            response = http.get(url, HTTP_ACCEPT_LANGUAGE=accept)
            html = response.content.decode()
            assert response.status_code == 200, url
            assert response["Content-Language"] == "en", url
            assert leaked(html, accept, english=english) == [], url


@pytest.mark.parametrize(("accept", "expected"), [("es-ES,es;q=0.9", "es"), ("fr", "en")])
def test_the_customers_page_is_whole_in_the_language_it_ships(client, db, accept, expected):
    """An unknown link: the customer's page in Spanish for a Spanish browser, English for a
    French one (not shipped): one language either way, never the other's sentences."""
    response = client.get(
        reverse("confirmations:report", args=["nope"]), HTTP_ACCEPT_LANGUAGE=accept
    )
    html = response.content.decode()
    assert response.status_code == 404
    assert f'lang="{expected}"' in html
    spanish = translations([po for po in catalogues.po_files() if po.parent.parent.name == "es"])
    other = spanish.keys() if expected == "es" else spanish.values()
    same = {english for english, text in spanish.items() if english == text}
    mixed = [text for text in other if text not in same and len(text) > 12 and text in html]
    assert mixed == []
    assert response["Content-Language"] == expected
