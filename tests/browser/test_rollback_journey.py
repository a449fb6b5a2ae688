"""Issue 7's rollback journey: a compliance officer opens a customer's history, filters
to billing, rolls back a card change (a new ticket with the reverse diff), waives
verification because the customer is not on the line; the floor marks it verified and
submits it, a supervisor approves, the agent applies — the card is back on its earlier
vault token, the original ticket shows rolled back — and compliance exports the
customer's history as evidence."""

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from audit.models import AuditEvent
from profiledesk.exports.models import Export
from profiledesk.exports.services import export_build
from profiledesk.tickets.models import State, Ticket
from tests.browser.conftest import TIMEOUT_MS, VIEWPORT, sign_in
from tests.browser.test_verification_journey import celery_in_process  # noqa: F401 - a fixture
from tests.factories import card_on_file, complete_customer
from tests.rollback.helpers import CARD, applied

pytestmark = pytest.mark.browser


@pytest.fixture
def as_user(browser: Browser, live_server) -> Iterator[Callable[..., Page]]:
    contexts = []

    def open_as(user) -> Page:
        context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url, locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, user)
        return page

    yield open_as
    for context in contexts:
        context.close()


def test_compliance_rolls_back_a_card_change_through_approval_and_exports_the_evidence(
    page: Page,
    as_user,
    personas,
    northwind,
    monkeypatch,
    celery_in_process,  # noqa: F811 - the fixture imported above
) -> None:
    # No export worker here: the test does the worker's part (a real worker builds one
    # in tests/exports/test_worker.py).
    monkeypatch.setattr("profiledesk.exports.tasks.build.delay", lambda export_id: None)
    grace = complete_customer(northwind, legal_name="Grace Hopper")
    card = card_on_file(grace, "4111111111111111", is_default=True)
    earlier_token = card.vault_token
    original = applied(grace, personas, "billing", {**CARD, "card_target": card.pk})

    # Compliance: the history, filtered to billing, and "Roll back this change".
    sign_in(page, personas["compliance"])
    page.goto(f"/audit/customers/{grace.pk}/history/")
    page.get_by_label("Category").select_option("billing")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"category=billing"))
    page.get_by_test_id("rollback-ticket").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Roll back {original.reference}")
    diff = page.get_by_test_id("reverse-diff")
    expect(diff).to_contain_text("1111")  # the earlier card, brand + BIN + last four only
    expect(diff).not_to_contain_text("4111111111111111")
    page.get_by_label("Reason").fill("The customer wrote that the new card is not theirs")
    page.get_by_role("button", name="Open the rollback ticket").click()
    expect(page.get_by_text(re.compile(r"PD-\d+ opened"))).to_be_visible()
    rollback = Ticket.objects.get(rollback_of=original)
    expect(page.get_by_test_id("rollback-links")).to_contain_text(
        f"Rollback of {original.reference}"
    )

    # The customer is not on the line: compliance waives verification, with a reason.
    page.get_by_test_id("waive-verification").locator("summary").click()
    page.get_by_label("Why the customer cannot verify (recorded)").fill("Reported by e-mail")
    page.get_by_role("button", name="Waive verification").click()
    expect(page.get_by_test_id("verification-waiver")).to_contain_text("Reported by e-mail")

    # The floor: start, mark verified (the waiver stands in), submit for approval.
    agent = as_user(personas["agent"])
    agent.goto(f"/tickets/{rollback.reference}/")
    # Compliance opened it: nobody's until the agent claims it on the ticket page.
    agent.get_by_test_id("claim").click()
    agent.get_by_role("button", name="Start verification").click()
    agent.get_by_role("button", name="Mark verified").click()
    agent.get_by_role("button", name="Submit for approval").click()
    expect(agent.get_by_text("Submitted for approval.")).to_be_visible()

    # A supervisor approves (compliance opened it: a maker, no approve button for them).
    supervisor = as_user(personas["supervisor"])
    supervisor.goto(f"/tickets/{rollback.reference}/")
    supervisor.get_by_test_id("approve").click()
    expect(supervisor.get_by_text(f"You approved {rollback.reference}.")).to_be_visible()

    agent.goto(f"/tickets/{rollback.reference}/")
    agent.get_by_role("button", name="Apply", exact=True).click()
    expect(agent.get_by_text("Applied to the customer's profile.")).to_be_visible()
    card.refresh_from_db()
    assert card.vault_token == earlier_token and card.last4 == "1111"
    original.refresh_from_db()
    assert original.state == State.ROLLED_BACK

    # The original shows who rolled it back; compliance exports the evidence.
    page.goto(f"/tickets/{original.reference}/")
    expect(page.get_by_test_id("rollback-links")).to_contain_text(
        f"Rolled back by {rollback.reference}"
    )
    page.goto(f"/audit/customers/{grace.pk}/history/")
    page.get_by_role("button", name="History (CSV)").click()
    export = Export.objects.get()
    assert (export.kind, export.customer_id) == ("customer_history", grace.pk)
    export_build(export_id=export.pk)
    page.goto("/exports/")
    row = page.get_by_test_id("export-row").first
    expect(row).to_have_attribute("data-status", "done")
    with page.expect_download() as info:
        row.get_by_role("link", name="Download").click()
    evidence = Path(info.value.path()).read_text()
    # Both tickets are in the evidence, the card only as its last four.
    assert original.reference in evidence and rollback.reference in evidence
    assert "4111111111111111" not in evidence and earlier_token not in evidence
    assert AuditEvent.objects.filter(action="export.downloaded", actor=personas["compliance"])
