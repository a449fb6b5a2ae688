"""The portal is the client's (name and colour, text readable on it) and the customer's
(English or Spanish: the switch, then the profile's language once signed in)."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from profiledesk.clients.models import validate_hex_colour
from profiledesk.portal.branding import brand_of, contrast

pytestmark = pytest.mark.django_db


@given(colour=st.from_regex(r"#[0-9a-f]{6}", fullmatch=True))
def test_text_on_any_brand_colour_is_aa(colour):
    brand = brand_of(colour)
    assert contrast(brand.colour, brand.on_colour) >= 4.5


@pytest.mark.parametrize("value", ["red", "#fff", "#12345g", "#123456;}body{", "", "#1234567"])
def test_a_colour_is_refused_unless_it_is_rrggbb(value):
    with pytest.raises(ValidationError):
        validate_hex_colour(value)


def test_a_colour_written_past_the_validator_never_reaches_the_css(northwind):
    northwind.brand_colour = "red;}*{"  # 7 characters: it fits the column
    northwind.save()
    css = HttpClient().get(reverse("portal:brand", kwargs={"slug": northwind.slug}))
    assert css["Content-Type"].startswith("text/css")
    assert "red" not in css.content.decode() and "#1f4e79" in css.content.decode()


def test_the_page_bears_the_clients_name_and_no_staff_navigation(northwind):
    page = HttpClient().get(reverse("portal:sign_in", kwargs={"slug": northwind.slug}))
    text = page.content.decode()
    assert "Northwind Energy" in text and "/portal/northwind/brand.css" in text
    assert reverse("tickets:queue") not in text and "ProfileDesk" not in text


def test_an_unknown_or_inactive_client_is_404(northwind):
    northwind.is_active = False
    northwind.save()
    assert HttpClient().get("/portal/northwind/").status_code == 404
    assert HttpClient().get("/portal/nobody/").status_code == 404


def test_the_language_switch_stays_on_the_portal(northwind):
    http = HttpClient()
    url = reverse("portal:language", kwargs={"slug": northwind.slug})
    for target in (
        "https://evil.example/",
        "//evil.example/",
        "/tickets/",
        "/portal/other/",
        "/portal/northwind/../../tickets/",
        "/portal/northwind/%2e%2e/",
        "/portal/northwind/\\evil.example",
    ):
        response = http.post(url, {"language": "es", "next": target})
        assert response["Location"] == "/portal/northwind/"
    cookie = http.cookies["pd_portal_lang"]
    assert cookie.value == "es" and cookie["path"] == "/portal/"


def test_spanish_is_chosen_by_the_switch_and_the_browser(northwind):
    http = HttpClient()
    url = reverse("portal:sign_in", kwargs={"slug": northwind.slug})
    assert '<html lang="en">' in http.get(url).content.decode()
    assert (
        '<html lang="es">' in http.get(url, HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9").content.decode()
    )
    http.post(
        reverse("portal:language", kwargs={"slug": northwind.slug}), {"language": "es", "next": url}
    )
    page = http.get(url).content.decode()
    assert '<html lang="es">' in page


def test_the_profiles_language_is_used_once_signed_in(northwind, customer, codes):
    from .conftest import sign_in

    customer.language_region.language = "es"
    customer.language_region.save()
    http = sign_in(HttpClient(), northwind.slug, customer.emails.get().email, codes)
    page = http.get(reverse("portal:home", kwargs={"slug": northwind.slug}))
    assert page["Content-Language"] == "es"


def test_the_desk_stays_english_after_a_portal_visit(northwind, personas):
    from tests.conftest import signed_in

    http = signed_in(personas["agent"])
    http.post(reverse("portal:language", kwargs={"slug": northwind.slug}), {"language": "es"})
    assert '<html lang="en">' in http.get(reverse("tickets:queue")).content.decode()


def test_the_company_page_has_a_working_language_switch(db):
    http = HttpClient()
    response = http.post(reverse("portal:index"), {"language": "es", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert '<html lang="es">' in http.get(reverse("portal:index")).content.decode()


def test_a_light_brand_gets_black_text_and_a_dark_one_white():
    assert brand_of("#f2a900").on_colour == "#000000"  # the demo's Solaris
    assert brand_of("#1f4e79").on_colour == "#ffffff"  # the demo's Northwind
