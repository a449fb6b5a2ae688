"""Issue 4's key journey: an agent verifies a caller with a one-time code (read, as the
customer would, from the e-mail that reached a real local SMTP server) and security
questions, and marks the ticket verified; a second caller fails three codes and is
locked out."""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from profiledesk.celery import app as celery_app
from profiledesk.tickets.models import State
from tests.browser.conftest import sign_in
from tests.factories import complete_customer
from tests.messaging.conftest import smtp_server  # noqa: F401 - a fixture
from tests.verification.helpers import open_ticket

pytestmark = pytest.mark.browser


@pytest.fixture
def celery_in_process():
    """No worker runs here: messaging's send task runs in the server thread on commit."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = previous


def code_received(smtp, to: str, count: int) -> str:
    """The code in the `count`-th e-mail to `to`, as the customer reads it."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        mails = [m for m in smtp.messages if to in m["to"]]
        if len(mails) >= count:
            text = mails[count - 1]["message"].get_body(preferencelist=("plain",)).get_content()
            return re.search(r"\b(\d{6})\b", text).group(1)
        time.sleep(0.1)
    raise AssertionError(f"no e-mail number {count} reached {to}")


def test_agent_verifies_a_caller_and_a_second_caller_is_locked_out(
    page: Page,
    personas,
    northwind,
    smtp_server,  # noqa: F811 - the fixture imported above
    celery_in_process,
) -> None:
    agent = personas["agent"]
    ada = complete_customer(northwind, legal_name="Ada Lovelace")
    ticket = open_ticket(ada, agent, verifying=False)
    sign_in(page, agent)

    page.goto(f"/tickets/{ticket.reference}/")
    panel = page.get_by_test_id("verification")
    expect(panel).to_contain_text("AL0 of AL2")
    email = ada.emails.get().email
    expect(panel).not_to_contain_text(email)  # masked until verified
    page.get_by_role("button", name="Start verification").click()

    # One-time code to the verified e-mail on file; the customer reads it out.
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_test_id("verification-notice")).to_contain_text("Code sent")
    code = code_received(smtp_server, email, 1)
    expect(panel).not_to_contain_text(code)  # the desk never shows it
    page.get_by_label(re.compile("Code the customer reads out")).fill(code)
    page.get_by_role("button", name="Check code").click()
    expect(page.get_by_test_id("verification-notice")).to_contain_text("passed")
    expect(panel).to_contain_text("AL1 of AL2")

    # Security questions: the agent types what the caller says.
    page.get_by_label("First school?").fill("st marys")
    page.get_by_role("button", name="Check answers").click()
    expect(page.get_by_test_id("verification-level")).to_contain_text("AL2 of AL2")
    page.get_by_role("button", name="Mark verified").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("Verifying → Ready")
    ticket.refresh_from_db()
    assert ticket.state == State.READY

    # A second caller gets three codes wrong: verification locks for that customer.
    bob = complete_customer(northwind, legal_name="Bob Impostor")
    second = open_ticket(bob, agent)
    page.goto(f"/tickets/{second.reference}/")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_test_id("verification-notice")).to_contain_text("Code sent")
    real = code_received(smtp_server, bob.emails.get().email, 1)
    wrong = f"{(int(real) + 1) % 1_000_000:06d}"
    for message in ("4 more tries", "3 more tries"):
        page.get_by_label(re.compile("Code the customer reads out")).fill(wrong)
        page.get_by_role("button", name="Check code").click()
        expect(page.get_by_test_id("verification-notice")).to_contain_text(message)
    page.get_by_label(re.compile("Code the customer reads out")).fill(wrong)
    page.get_by_role("button", name="Check code").click()
    expect(page.get_by_test_id("verification-locked")).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("verification-locked")).to_contain_text("locked for this customer")
    expect(page.get_by_role("button", name="Send code")).to_have_count(0)
    second.refresh_from_db()
    assert second.state == State.VERIFICATION_FAILED
