"""Issue 17, in the customer's language: a Spanish customer opens the "this wasn't me" link
from their confirmation in a browser set to English and reads the page in Spanish (their
profile's language), `<html lang="es">`, axe-clean at 1366×768, 360 px wide and 200 %
zoom; they may switch it to English and back, and the report itself is Spanish to the end.
Screenshots go to var/screenshots/i18n/."""

import pytest
from playwright.sync_api import Page, expect

from profiledesk.confirmations.services import confirmations_create
from profiledesk.customers.models import LanguageRegion
from tests.browser.axe import axe_violations
from tests.browser.conftest import SCREENSHOTS
from tests.confirmations.conftest import link_token, phone_change, set_fields
from tests.factories import complete_customer

pytestmark = pytest.mark.browser

OUT = SCREENSHOTS / "i18n"


def fits(page: Page) -> bool:
    """Nothing wider than the window: no sideways scrolling on a phone."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_report_page_in_spanish_on_a_desktop_and_a_phone(page: Page, northwind) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    customer = complete_customer(northwind, legal_name="Lucía Pérez")
    set_fields(LanguageRegion.objects.get(customer=customer), language="es")
    ticket, _old = phone_change(customer)
    [message, *_] = confirmations_create(ticket=ticket)
    url = f"/confirm/report/{link_token(message)}"

    page.goto(url)  # the browser asks for en-GB: the profile's Spanish wins
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("¿No has hecho este cambio?")
    expect(page.get_by_text(ticket.reference)).to_be_visible()
    assert axe_violations(page) == []
    page.screenshot(path=OUT / "report-es-1366.png", full_page=True)

    page.set_viewport_size({"width": 360, "height": 740})
    assert fits(page)
    button = page.get_by_role("button", name="No he hecho este cambio: bloquear mi perfil")
    expect(button).to_be_visible()
    assert axe_violations(page) == []
    page.screenshot(path=OUT / "report-es-360.png", full_page=True)

    # 200 % zoom of the desk's monitor: 683 CSS pixels wide.
    page.set_viewport_size({"width": 683, "height": 384})
    assert fits(page)
    page.screenshot(path=OUT / "report-es-zoom200.png", full_page=True)

    # The customer switches to English, and back.
    page.set_viewport_size({"width": 1366, "height": 768})
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Did you not make this change?")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")

    # Reporting: the answer is Spanish too, with the report's reference.
    page.set_viewport_size({"width": 360, "height": 740})
    page.get_by_role("button", name="No he hecho este cambio: bloquear mi perfil").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gracias: tu perfil está bloqueado")
    expect(page.get_by_text("Qué pasa ahora:")).to_be_visible()
    assert fits(page)
    assert axe_violations(page) == []
    page.screenshot(path=OUT / "report-es-done-360.png", full_page=True)
    customer.refresh_from_db()
    assert customer.frozen_at is not None
