"""Key journey in a real browser: a compliance officer requests an audit-event export,
watches its progress bar fill without reloading the page, and downloads the file."""

import re

import pytest
from playwright.sync_api import Page, expect

from audit.models import AuditEvent
from audit.services import audit_record
from profiledesk.exports.models import Export
from profiledesk.exports.services import export_build
from tests.browser.conftest import SCREENSHOTS, sign_in
from tests.exports.conftest import private_media  # noqa: F401 - autouse: files in tmp_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_compliance_requests_watches_and_downloads_an_export(
    page: Page, personas, northwind, monkeypatch
):
    # No worker here: the test does the worker's part, and leaves nothing on the broker.
    monkeypatch.setattr("profiledesk.exports.tasks.build.delay", lambda export_id: None)
    for n in range(3):
        audit_record(action=f"test.event{n}", client=northwind)
    sign_in(page, personas["compliance"])
    page.get_by_role("link", name="Exports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evidence exports")

    form = page.get_by_test_id("audit-events-form")
    form.get_by_label("From (UTC)").fill("2020-01-01")
    form.get_by_label("Until, included (UTC)").fill("2020-12-31")
    form.get_by_label("Format").select_option("json")
    form.get_by_role("button", name="Export audit events").click()

    row = page.get_by_test_id("export-row").first
    expect(row).to_have_attribute("data-status", "queued")
    expect(row).to_contain_text("Audit events")

    # The worker's part: the row's poll shows the result without a reload.
    export_build(export_id=Export.objects.get().pk)
    expect(row).to_have_attribute("data-status", "done", timeout=8_000)
    expect(row.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    # The bar's width is set by desk.js from data-width (the CSP allows no style="").
    expect(row.locator(".progress-bar")).to_have_attribute("style", re.compile(r"width: 100%"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "exports.png")

    with page.expect_download() as info:
        row.get_by_role("link", name="Download").click()
    assert re.fullmatch(r"northwind-audit_events-\d+\.json", info.value.suggested_filename)
    assert AuditEvent.objects.filter(action="export.downloaded").count() == 1
