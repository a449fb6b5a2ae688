"""Which language a request is answered in (profiledesk.i18n): the staff desk English
whatever is asked, customer pages (/confirm/, /portal/) the customer's choice."""

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from profiledesk.i18n.languages import (
    CUSTOMER_LANGUAGES,
    accept_language,
    customer_language,
    is_customer_path,
)
from tests.conftest import signed_in

COOKIE = settings.LANGUAGE_COOKIE_NAME
REPORT = "/confirm/report/not-a-token"  # the "not valid" page: public, no data


def lang_of(html: str) -> str:
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("es-ES,es;q=0.9,en;q=0.8", "es"),
        ("es-MX", "es"),
        ("fr-FR,fr;q=0.9", "en"),  # not shipped: English, not French
        ("fr, es;q=0.5", "es"),  # the first shipped one
        ("es;q=0, en", "en"),  # q=0 means "not this one"
        ("en;q=0.1, es;q=0.9", "es"),
        ("", "en"),
    ],
)
def test_a_customer_page_follows_the_browser(db, accept, expected):
    response = HttpClient().get(REPORT, HTTP_ACCEPT_LANGUAGE=accept)

    assert response.status_code == 404
    assert lang_of(response.content.decode()) == expected
    assert response["Content-Language"] == expected
    assert "Accept-Language" in response["Vary"] and "Cookie" in response["Vary"]


def test_the_customers_choice_on_the_url_wins_and_is_remembered(db):
    http = HttpClient()

    chosen = http.get(REPORT + "?lang=es", HTTP_ACCEPT_LANGUAGE="en")
    next_page = http.get(REPORT, HTTP_ACCEPT_LANGUAGE="en")
    back = http.get(REPORT + "?lang=en", HTTP_ACCEPT_LANGUAGE="es")

    assert lang_of(chosen.content.decode()) == "es"
    assert chosen.cookies[COOKIE].value == "es"
    assert chosen.cookies[COOKIE]["httponly"] and chosen.cookies[COOKIE]["samesite"] == "Lax"
    assert lang_of(next_page.content.decode()) == "es"  # the cookie, over the browser
    assert lang_of(back.content.decode()) == "en"
    assert "Este enlace no es válido" in chosen.content.decode()


@pytest.mark.parametrize(
    "hostile",
    ["fr", "xx", "es\r\nSet-Cookie: a=b", "../../etc/passwd", "e" * 5000, "es-" + "x" * 100],
)
def test_a_language_the_customer_side_does_not_ship_is_ignored(db, hostile):
    response = HttpClient().get(REPORT, {"lang": hostile}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 404  # the page, not a 400 or 500
    assert lang_of(response.content.decode()) == "en"
    assert COOKIE not in response.cookies


def test_the_page_offers_the_other_language(db):
    html = HttpClient().get(REPORT, HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert '<a href="?lang=en" lang="en" hreflang="en">English</a>' in html
    assert "?lang=es" not in html  # not the one it is in


@pytest.mark.parametrize(
    "wish",
    [
        {"HTTP_ACCEPT_LANGUAGE": "es"},
        {"QUERY_STRING": "lang=es"},
        {"HTTP_COOKIE": f"{COOKIE}=es"},
    ],
)
def test_the_staff_desk_stays_english_however_spanish_is_asked(personas, wish):
    http = signed_in(personas["agent"])
    query = wish.get("QUERY_STRING", "")
    extra = {k: v for k, v in wish.items() if k != "QUERY_STRING"}
    if "HTTP_COOKIE" in extra:
        http.cookies[COOKIE] = "es"
        extra.pop("HTTP_COOKIE")

    for url in (reverse("tickets:queue"), reverse("customers:search"), "/admin/"):
        response = http.get(f"{url}?{query}" if query else url, follow=True, **extra)
        assert response["Content-Language"] == "en", url
        assert '<html lang="en"' in response.content.decode(), url
        assert COOKIE not in response.cookies, url  # a staff URL never sets it


def test_the_sign_in_page_stays_english_with_the_customers_cookie(db):
    http = HttpClient()
    http.cookies[COOKIE] = "es"

    response = http.get(reverse("accounts:login") + "?lang=es", HTTP_ACCEPT_LANGUAGE="es")

    assert response["Content-Language"] == "en"
    assert "Username" in response.content.decode()


def test_only_the_customer_url_spaces_are_customer_pages():
    assert is_customer_path("/confirm/report/abc") and is_customer_path("/portal/")
    for staff in ("/", "/tickets/", "/admin/", "/api/v1/", "/accounts/login/", "/confirmx/"):
        assert not is_customer_path(staff), staff
    assert not is_customer_path("/portalx/")


@hypothesis_settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_any_accept_language_header_gives_a_shipped_language_or_none(header):
    assert accept_language(header) in (*CUSTOMER_LANGUAGES, None)


@given(st.text(max_size=50))
def test_any_stored_language_maps_to_a_shipped_one_or_none(value):
    assert customer_language(value) in (*CUSTOMER_LANGUAGES, None)


@pytest.mark.parametrize(
    ("accept", "heading"), [("es", "Página no encontrada"), ("en", "Page not found")]
)
def test_a_customer_url_that_names_nothing_is_a_customer_page_in_their_language(
    db, accept, heading
):
    """No staff wording ("a client you do not work for") and no desk navigation."""
    for url in ("/confirm/nothing-here", "/portal/no-such-page/12345"):
        response = HttpClient().get(url, HTTP_ACCEPT_LANGUAGE=accept)
        html = response.content.decode()
        assert response.status_code == 404, url
        assert f'<html lang="{accept}">' in html and heading in html, url
        assert "client you do not work for" not in html and "Sign in" not in html, url


def test_a_staff_url_that_names_nothing_is_the_desks_english_404(db):
    response = HttpClient().get("/tickets/nothing/here/at/all", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 404
    assert "Página no encontrada" not in response.content.decode()
    assert response["Content-Language"] == "en"
