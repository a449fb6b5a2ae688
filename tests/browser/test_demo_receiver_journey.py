"""The demo receiver's page (issue 15): an agent applies a change, the client's CRM — the
demo receiver, a real HTTP server on 127.0.0.1 running docs/examples/webhook_receiver.py's
logic — gets the signed event, and the ticket's delivery panel links to what it received:
the signature verified, the values the event carried, and the record it updated."""

import threading

import pytest
from playwright.sync_api import Page, expect

from profiledesk.apply.services import ticket_apply
from profiledesk.connectors.models import Delivery, Kind
from profiledesk.connectors.tasks import deliver
from profiledesk.demo import receiver
from profiledesk.demo.connectors import receiver_store, receiver_systems
from tests.apply.helpers import applicable
from tests.browser.conftest import SCREENSHOTS, sign_in
from tests.connectors.helpers import connector_for
from tests.demo.test_receiver import _free_port

pytestmark = pytest.mark.browser

NEW_EMAIL = "grace.hopper@navy.example"


@pytest.fixture
def demo_receiver(settings, tmp_path):
    settings.DEMO_MODE = True
    settings.DEMO_VAR_DIR = tmp_path
    settings.CONNECTOR_ALLOW_HTTP = True
    settings.DEMO_RECEIVER_PORT = _free_port()
    servers = []

    def start():
        server = receiver.serve(
            port=settings.DEMO_RECEIVER_PORT, store=receiver_store(), systems=receiver_systems()
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_the_delivery_panel_links_to_what_the_demo_crm_received(
    page: Page, customer, personas, northwind, settings, demo_receiver
):
    connector_for(
        northwind,
        url=f"http://127.0.0.1:{settings.DEMO_RECEIVER_PORT}/northwind/crm",
        kind=Kind.CRM,
        categories=["contact"],
        name="Demo CRM",
    )
    demo_receiver()
    primary = customer.emails.get(is_primary=True)
    ticket = applicable(
        customer, personas, "contact", {"email": NEW_EMAIL, "email_target": primary.pk}
    )
    ticket_apply(ticket=ticket, by=personas["agent"])
    delivery = Delivery.objects.get(ticket=ticket)
    assert deliver.apply(args=[delivery.pk]).result == "delivered"

    sign_in(page, personas["agent"])
    page.goto(f"/tickets/{ticket.reference}/")
    panel = page.get_by_test_id("downstream")
    expect(panel).to_contain_text("Demo CRM")
    expect(panel).to_contain_text("Delivered")
    out = SCREENSHOTS / "demorx"
    out.mkdir(parents=True, exist_ok=True)
    panel.screenshot(path=out / "delivery-panel.png")

    panel.get_by_role("link", name="What it received").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Demo CRM of Northwind")
    expect(page.get_by_test_id("signature-verified")).to_be_visible()
    carried = page.get_by_test_id("receiver-carried")
    expect(carried).to_contain_text(NEW_EMAIL)
    expect(carried.get_by_test_id("record-updated")).to_be_visible()
    expect(page.get_by_test_id("receiver-record")).to_contain_text(NEW_EMAIL)
    page.screenshot(path=out / "receiver-page.png", full_page=True)
