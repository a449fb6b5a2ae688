"""Issue 17's key journey, in a real browser: a customer signs in to their company's
portal with a one-time code (read from the codes the portal sends), changes their
preferences (applied at once by the desk itself), asks for an address change (a ticket
in the desk's queue), an agent claims, verifies and applies it on the desk, and the
customer sees it done. Every portal page is axe-clean and reflows at 360 px and at 200 %
zoom; screenshots in var/screenshots/portal/. Parametrised by language: Spanish is
finished once the customer-facing catalogues are merged (issue 17's "lang" part)."""

import re
from pathlib import Path

import pytest
from django.utils import translation
from playwright.sync_api import Browser, Page, expect

import profiledesk.portal
from profiledesk.portal.selectors import customer_status
from profiledesk.tickets.models import State, Ticket
from tests.browser.axe import axe_violations
from tests.browser.conftest import SCREENSHOTS, VIEWPORT, sign_in
from tests.factories import complete_customer
from tests.portal.conftest import codes  # noqa: F401 - a fixture

pytestmark = pytest.mark.browser

SHOTS = SCREENSHOTS / "portal"
PHONE = {"width": 360, "height": 740}
ZOOM_200 = {"width": VIEWPORT["width"] // 2, "height": VIEWPORT["height"] // 2}
TEXT = {
    "en": {
        "send": "Send me a code",
        "sign_in": "Sign in",
        "contact": "E-mail address or mobile number",
        "code": "One-time code",
        "details": "Your details",
        "change": "Change my details",
        "save": "Save my change",
        "request": "Send my request",
        "done": "your change is made",
        "waiting": "We have your request",
        "language": "English",
    },
    "es": {
        "send": "Enviarme un código",
        "sign_in": "Iniciar sesión",
        "contact": "Correo electrónico o número de móvil",
        "code": "Código de un solo uso",
        "details": "Sus datos",
        "change": "Cambiar mis datos",
        "save": "Guardar mi cambio",
        "request": "Enviar mi solicitud",
        "done": "su cambio está hecho",
        "waiting": "Tenemos su solicitud",
        "language": "Español",
    },
}
CATALOGUE = Path(profiledesk.portal.__file__).parent / "locale/es/LC_MESSAGES/django.mo"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def check(page: Page, name: str) -> None:
    """axe-clean, no sideways scrolling, and a screenshot to look at."""
    assert axe_violations(page) == [], name
    assert no_sideways_scroll(page), f"{name} scrolls sideways at {page.viewport_size}"
    shot(page, name)


# Spanish needs the compiled catalogues (`make run` / `make test` build them) and the
# customer-facing labels of the capture forms (issue 17's "lang" part).
@pytest.mark.parametrize("language", ["en", "es"])
def test_a_customer_changes_preferences_and_an_address_through_the_portal(
    page: Page,
    browser: Browser,
    live_server,
    personas,
    northwind,
    codes,  # noqa: F811 - the fixture imported above
    language,
) -> None:
    if language != "en" and not CATALOGUE.exists():
        pytest.skip("the Spanish catalogue is compiled by make run / make test")
    t = TEXT[language]
    ada = complete_customer(northwind, legal_name="Ada Lovelace")
    email = ada.emails.get(is_primary=True).email

    # The company, then sign in by code, in the language chosen with the switch.
    page.goto("/portal/")
    check(page, f"{language}-0-company")
    page.locator("[name=client]").fill(northwind.slug)
    page.locator("form.portal-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/portal/{northwind.slug}/$"))
    page.get_by_label("Language").select_option(language)  # the page is English so far
    page.locator("form.portal-language button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    check(page, f"{language}-1-sign-in")
    page.get_by_label(t["contact"]).fill(email)
    page.get_by_role("button", name=t["send"]).click()
    expect(page).to_have_url(re.compile(r"/code/$"))
    check(page, f"{language}-2-code")
    page.get_by_label(t["code"]).fill(codes[-1].code)
    page.get_by_role("button", name=t["sign_in"], exact=True).click()
    expect(page.get_by_role("heading", name=t["details"], exact=True)).to_be_visible()
    assert "Ada Lovelace" not in page.content()  # masked, as the messages show it
    check(page, f"{language}-3-details")

    # Preferences: applied at once.
    page.get_by_role("link", name=t["change"]).click()
    check(page, f"{language}-4-choose")
    page.goto(f"/portal/{northwind.slug}/change/?category=preferences")
    page.locator("input[name=marketing_email][value=True]").check()
    check(page, f"{language}-5-preferences")
    page.get_by_role("button", name=t["save"]).click()
    expect(page.get_by_role("status")).to_contain_text(t["done"])
    check(page, f"{language}-6-applied")
    ada.preferences.refresh_from_db()
    assert ada.preferences.marketing_email is True

    # An address change: a request for the desk.
    page.goto(f"/portal/{northwind.slug}/change/?category=contact")
    page.locator("[name=address_line1]").fill("12 Analytical Row")
    page.locator("[name=address_city]").fill("London")
    page.locator("[name=address_postal_code]").fill("SW1A 1AA")
    page.locator("[name=address_country]").select_option("GB")
    check(page, f"{language}-7-address")
    page.get_by_role("button", name=t["request"]).click()
    expect(page.get_by_role("status")).to_contain_text(t["waiting"])
    check(page, f"{language}-8-requested")
    ticket = Ticket.objects.get(customer=ada, category="contact", channel="web")
    assert ticket.state == State.NEW

    # The ticket is in the desk's queue for an agent of the client, who works it as any
    # request: the portal's sign-in counts as the one-time code (AL1), the caller answers
    # the security question on the phone (AL2), then verified and applied.
    agent = personas["agent"]
    desk = browser.new_context(viewport=VIEWPORT, base_url=live_server.url, locale="en-GB")
    desk_page = desk.new_page()
    sign_in(desk_page, agent)
    desk_page.goto("/tickets/?channel=web")
    expect(desk_page.get_by_text(ticket.reference).first).to_be_visible()
    shot(desk_page, f"{language}-9-desk-queue")
    desk_page.get_by_role("link", name=ticket.reference).click()
    desk_page.get_by_role("button", name="Claim", exact=True).first.click()
    desk_page.get_by_role("button", name="Start verification").click()
    expect(desk_page.get_by_test_id("verification-level")).to_contain_text("AL1 of AL2")
    desk_page.get_by_label("First school?").fill("st marys")
    desk_page.get_by_role("button", name="Check answers").click()
    expect(desk_page.get_by_test_id("verification-level")).to_contain_text("AL2 of AL2")
    desk_page.get_by_role("button", name="Mark verified").click()
    expect(desk_page.get_by_test_id("timeline")).to_contain_text("Verifying → Ready")
    desk_page.get_by_role("button", name="Apply", exact=True).click()
    expect(desk_page.get_by_text("Applied to the customer's profile.")).to_be_visible()
    shot(desk_page, f"{language}-9b-desk-applied")
    desk.close()

    # The customer sees it done.
    page.goto(f"/portal/{northwind.slug}/requests/{ticket.reference}/")
    ticket.refresh_from_db()
    with translation.override(language):
        expect(page.locator(".badge")).to_have_text(customer_status(ticket))
    page.goto(f"/portal/{northwind.slug}/me/")
    expect(page.get_by_text("1•••").first).to_be_visible()  # "12 Analytical Row", masked
    check(page, f"{language}-10-done")

    # "This wasn't me" for the preferences change: asked, then confirmed.
    page.locator("a[href*='/reports/']").last.click()
    check(page, f"{language}-11-report")

    # The same pages at 360 px and at 200 % zoom.
    for size, name in ((PHONE, "360"), (ZOOM_200, "zoom200")):
        context = browser.new_context(
            viewport=size,
            device_scale_factor=2 if name == "zoom200" else 1,
            base_url=live_server.url,
            locale="en-GB",
        )
        context.add_cookies(page.context.cookies())
        small = context.new_page()
        for path, label in (
            (f"/portal/{northwind.slug}/me/", "details"),
            (f"/portal/{northwind.slug}/change/?category=preferences", "preferences"),
            (f"/portal/{northwind.slug}/change/?category=contact", "address"),
            (f"/portal/{northwind.slug}/requests/{ticket.reference}/", "request"),
        ):
            small.goto(path)
            check(small, f"{language}-{name}-{label}")
        context.close()
