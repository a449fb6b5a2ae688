"""Issue 15, in-app confirmations on the ticket page: the app's notification shows beside
the e-mail confirmations with its status (given up: "Retry now" for a supervisor), and a
client with no communications system says the customer was e-mailed instead.
Screenshots go to var/screenshots/confirmations/."""

import pytest
from playwright.sync_api import Page, expect

from profiledesk.connectors.models import NOTIFICATION_TYPE, Delivery
from tests.browser.conftest import SCREENSHOTS, sign_in
from tests.confirmations.test_in_app import apply_change, comms, run, wants_app
from tests.connectors.conftest import receiver  # noqa: F401 - a fixture
from tests.factories import complete_customer

pytestmark = pytest.mark.browser

OUT = SCREENSHOTS / "confirmations"


def test_the_apps_status_and_the_fallback_show_beside_the_other_confirmations(
    request, page: Page, personas, northwind, settings
) -> None:
    # A real local receiver (tests/connectors/conftest.py).
    app = request.getfixturevalue("receiver")
    settings.CONNECTOR_MAX_ATTEMPTS = 1
    OUT.mkdir(parents=True, exist_ok=True)
    # A contact change: the old and new addresses by e-mail, and the app.
    customer = complete_customer(northwind, legal_name="Ada Lovelace")
    wants_app(customer)
    comms(northwind, app.url, name="Northwind app", categories=["personal"])
    primary = customer.emails.get(is_primary=True)
    ticket = apply_change(
        customer, personas, "contact", {"email": "ada@navy.example", "email_target": primary.pk}
    )
    app.default = 500
    assert run(Delivery.objects.get(ticket=ticket, event__type=NOTIFICATION_TYPE)) == "gave_up"

    sign_in(page, personas["supervisor"])
    page.goto(f"/tickets/{ticket.reference}/")
    panel = page.get_by_test_id("confirmations")
    app_row = panel.locator('li[data-channel="app"]')
    expect(app_row).to_contain_text("Northwind app")
    expect(app_row).to_contain_text("App")
    expect(app_row).to_contain_text("Gave up")
    expect(app_row.get_by_role("button", name="Retry now")).to_be_visible()
    expect(panel.locator('li[data-channel="email"]')).to_have_count(2)
    panel.scroll_into_view_if_needed()
    page.screenshot(path=OUT / "in-app-gave-up.png")

    # No active communications system: said on the ticket, e-mailed instead.
    other = complete_customer(northwind, legal_name="Grace Hopper")
    wants_app(other)
    northwind_app = Delivery.objects.filter(ticket=ticket).first().connector
    northwind_app.is_active = False
    northwind_app.save()
    fallback = apply_change(other, personas)
    page.goto(f"/tickets/{fallback.reference}/")
    panel = page.get_by_test_id("confirmations")
    expect(panel).to_contain_text("instead of the app: no communications system")
    expect(page.get_by_text("no communications system is active for this client")).to_be_visible()
    panel.scroll_into_view_if_needed()
    page.screenshot(path=OUT / "in-app-fallback.png")
