"""Hostile-data sweep (issue 12): strings an attacker would type are seeded into every
free-text field a customer, a caller, a client system or a staff member can fill —
written straight through the models and services, as the API, inbound e-mail and the
desk's forms would store them — and then every page each role uses is opened in Chromium.

The test fails on any dialog (a script ran), any Content-Security-Policy violation (a
script or style the policy refused: the page tried to run something), any markup the
strings turned into elements (`<img src=x>`, an inline `<script>`, a `javascript:` link),
and any response of 500 or more. The `page`-style checks of tests/browser/conftest.py
(console errors, 4xx/5xx) apply to every context here too.
"""

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import Model
from django.utils import timezone
from playwright.sync_api import Browser, Page

from audit.services import audit_record
from profiledesk.accounts.models import StaffSession
from profiledesk.accounts.roles import Role
from profiledesk.approvals.services import approval_reject, approval_submit
from profiledesk.customers import models as m
from profiledesk.customers.services import customer_freeze
from profiledesk.exports.models import Export, Format, Kind, Status
from profiledesk.inbound.parsing import InboundEmail, InboundFile
from profiledesk.inbound.services import email_ingest
from profiledesk.tickets.models import Attachment, State, Ticket
from profiledesk.tickets.services import ItemDraft, ticket_comment, ticket_create
from profiledesk.tickets.states import transition
from tests.approvals.helpers import ready_ticket
from tests.browser.conftest import TIMEOUT_MS, VIEWPORT, sign_in
from tests.factories import card_on_file, complete_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "Ω" + "A very long value. " * 526  # 10,000 characters
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{ 7*7 }} {% debug %}",
    "\u202eexe.tnemucod\u202c and a zero\u200bwidth",
    "'><svg onload=alert(1)>",
    LONG,
]
# Every hostile string in one, for a field that can hold only one value.
ALL = " ".join(HOSTILE[:-1])

# Collected in the page from the first script on: CSP violations (the event says what
# was refused and where).
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${where}`);
});
"""
# Elements the strings would have become had they been printed unescaped.
INJECTED = (
    'img[src="x"], svg[onload], [onerror], [onload], a[href^="javascript:" i],'
    ' script:not([src]):not([type="application/json"])'
)


# Filters a hostile hand typed into the URL: the queue answers 400 with its errors shown.
BAD_QUEUE_FILTERS = "/tickets/?after=%3Cscript%3E&assignee=%22%3E%3Cimg"
ANSWERS_400 = {BAD_QUEUE_FILTERS}


def fit(model: type[Model], field: str, value: str) -> str:
    """`value` cut to the column's length: PostgreSQL refuses longer (the forms would)."""
    max_length = model._meta.get_field(field).max_length
    return value[:max_length] if max_length else value


def hostile(model: type[Model], field: str, n: int) -> str:
    return fit(model, field, HOSTILE[n % len(HOSTILE)])


def seed(northwind, personas) -> dict[str, object]:
    agent, supervisor = personas["agent"], personas["supervisor"]
    customers = [
        complete_customer(northwind, legal_name=hostile(m.PersonalDetails, "legal_name", n))
        for n in range(len(HOSTILE))
    ]
    grace = customers[1]
    personal = grace.personal
    personal.preferred_name = fit(m.PersonalDetails, "preferred_name", ALL)
    personal.save()
    for n, address in enumerate(grace.addresses.all()):
        for name in ("line1", "line2", "city", "region"):
            setattr(address, name, hostile(m.PostalAddress, name, n + len(name)))
        address.save()
    m.Organisation.objects.create(
        customer=grace,
        business_name=fit(m.Organisation, "business_name", ALL),
        job_title=hostile(m.Organisation, "job_title", 0),
        department=hostile(m.Organisation, "department", 1),
        billing_entity=hostile(m.Organisation, "billing_entity", 3),
    )
    bank = grace.bank_accounts.first()
    bank.account_holder = hostile(m.BankAccount, "account_holder", 1)
    bank.bank_name = hostile(m.BankAccount, "bank_name", 0)
    bank.save()
    card_on_file(grace, holder_name=fit(m.PaymentCard, "holder_name", ALL))

    item = ItemDraft(
        section="personal",
        field="personaldetails.preferred_name",
        label="Preferred name",
        new_value=HOSTILE[1],
        new_display=HOSTILE[1],
        old_display=HOSTILE[0],
    )
    tickets = {}
    tickets["new"] = ticket_create(
        client=northwind, customer=grace, by=agent, channel="phone", category="personal",
        items=[item], summary=ALL, comment=HOSTILE[3],
    )  # fmt: skip
    for text in HOSTILE:
        ticket_comment(ticket=tickets["new"], by=agent, body=text)
    tickets["api"] = ticket_create(
        client=northwind, customer=None, channel="api", category="contact",
        items=[ItemDraft(section="contact", field="postaladdress.line1", label="Address line 1",
                         new_value=HOSTILE[5], new_display=HOSTILE[5])],
        summary=HOSTILE[0], comment=LONG,
    )  # fmt: skip
    billing = ItemDraft(
        section="billing",
        field="bankaccount.account_holder",
        label="Account holder",
        new_value=HOSTILE[1],
        new_display=HOSTILE[1],
    )
    tickets["pending"] = ready_ticket(grace, agent, category="billing", items=[billing])
    approval_submit(ticket=tickets["pending"], by=agent)
    tickets["rejected"] = ready_ticket(grace, agent, category="billing", items=[billing])
    approval_submit(ticket=tickets["rejected"], by=agent)
    approval_reject(ticket=tickets["rejected"], by=supervisor, reason=ALL + LONG)
    tickets["cancelled"] = ticket_create(
        client=northwind, customer=grace, by=agent, channel="chat", category="contact",
        items=[item], summary=HOSTILE[2],
    )  # fmt: skip
    transition(ticket=tickets["cancelled"], to=State.CANCELLED, by=agent, reason=ALL)

    # Inbound e-mail from the customer: subject, body, attachment names.
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    email_ingest(
        message=InboundEmail(
            sender=grace.emails.first().email,
            recipients=["requests+northwind@inbound.example"],
            subject=ALL,
            text=LONG + "\n" + ALL,
            message_id=f"<{HOSTILE[1]}@evil.example>",
            attachments=[
                InboundFile(name=f"{HOSTILE[1]}.pdf", content=pdf),
                InboundFile(name=f"{HOSTILE[0]}.exe", content=b"MZ"),
            ],
            notes=[HOSTILE[0]],
        )
    )
    tickets["email"] = Ticket.objects.filter(channel="email").latest("pk")
    assert Attachment.objects.filter(ticket=tickets["email"]).exists()

    customer_freeze(customer=customers[2], by=personas["security"], reason=ALL[:200])
    # What a browser sends about itself, shown on "My sessions" and in the admin.
    for user in personas.values():
        session = SessionStore()
        session.create()
        StaffSession.objects.create(
            user=user,
            session_key=session.session_key,
            started_at=timezone.now() - dt.timedelta(hours=1),
            last_seen_at=timezone.now(),
            ip_address="203.0.113.9",
            user_agent=fit(StaffSession, "user_agent", ALL),
        )
    audit_record(
        action="customer.viewed",
        actor=agent,
        client=northwind,
        target=grace,
        data={"user_agent": ALL, "reason": LONG, HOSTILE[1]: HOSTILE[0]},
    )
    Export.objects.create(
        client=northwind,
        requested_by=personas["compliance"],
        kind=Kind.CUSTOMER_HISTORY,
        format=Format.CSV,
        customer=grace,
        status=Status.FAILED,
        error=fit(Export, "error", ALL),
        created_at=timezone.now(),
        updated_at=timezone.now(),
    )
    return {"customers": customers, "grace": grace, "tickets": tickets}


def pages_for(role: str, data: dict, personas) -> list[str]:
    grace, tickets = data["grace"], data["tickets"]
    ticket_pages = [f"/tickets/{t.reference}/" for t in tickets.values()]
    search = [f"/customers/?q={q}" for q in ("<script>", '"><img', "{{", "\u202e")]
    by_role = {
        Role.AGENT: [
            "/tickets/", BAD_QUEUE_FILTERS, *ticket_pages, "/customers/", *search,
            f"/customers/{grace.pk}/",
            *(f"/customers/{c.pk}/" for c in data["customers"]),
            *(f"/tickets/new/{grace.pk}/?channel=phone&category={c}"
              for c in ("personal", "contact", "billing", "organisation", "security")),
            "/accounts/sessions/",
            # The desk's search box: tickets and customers found by hostile strings.
            *(f"/search/?q={q}" for q in ("<script>", '"><img', "{{", "\u202e", "grace")),
        ],
        Role.SUPERVISOR: ["/tickets/", "/approvals/", *ticket_pages, f"/customers/{grace.pk}/"],
        Role.COMPLIANCE: [
            "/approvals/", f"/audit/customers/{grace.pk}/history/",
            *(f"/audit/tickets/{t.reference}/" for t in tickets.values()),
            f"/audit/staff/{personas['agent'].pk}/activity/", "/exports/",
            f"/customers/{grace.pk}/",
        ],
        Role.SECURITY: ["/tickets/", "/security/", f"/customers/{data['customers'][2].pk}/",
                        f"/tickets/{tickets['email'].reference}/"],
        Role.DESK_ADMIN: [
            "/admin/", "/admin/accounts/user/", "/admin/accounts/staffsession/",
            f"/admin/accounts/staffsession/{StaffSession.objects.filter(user=personas['agent']).first().pk}/change/",
            f"/admin/accounts/user/{personas['agent'].pk}/change/", "/admin/policies/policy/",
            "/admin/audit/auditevent/", "/admin/clients/client/", "/admin/api/apikey/",
            "/admin/messaging/message/", "/admin/connectors/delivery/",
        ],
    }  # fmt: skip
    return by_role[Role(role)]


@pytest.fixture
def open_as(browser: Browser, live_server) -> Iterator[Callable]:
    """A signed-in page for a staff member, with every listener the sweep needs."""
    contexts = []

    def opened(user) -> tuple[Page, list[str]]:
        context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url, locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(COLLECT_VIOLATIONS)
        contexts.append(context)
        page = context.new_page()
        problems: list[str] = []
        page.on("dialog", lambda d: (problems.append(f"dialog {d.type}: {d.message}"), d.dismiss()))
        page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))

        def console(msg) -> None:
            # Failed loads are reported by URL below (the console's message has none).
            failed_load = msg.text.startswith("Failed to load resource")
            if (msg.type == "error" and not failed_load) or "Content Security Policy" in msg.text:
                problems.append(f"console.{msg.type}: {msg.text}")

        def response(r) -> None:
            if r.status >= 400 and not r.url.endswith("/favicon.ico"):  # the admin has none
                problems.append(f"HTTP {r.status}: {r.url}")

        page.on("console", console)
        page.on("response", response)
        sign_in(page, user)
        return page, problems

    yield opened
    for context in contexts:
        context.close()


def visit(page: Page, problems: list[str], label: str, url: str) -> list[str]:
    """Open `url`; what went wrong there (empty when it stayed text)."""
    response = page.goto(url)
    assert response is not None, (label, url)
    expected = 400 if url in ANSWERS_400 else 200
    assert response.status == expected, (label, url, response.status)
    page.wait_for_load_state("networkidle")
    if expected == 400:
        problems[:] = [p for p in problems if "400" not in p]
    found = []
    if injected := page.locator(INJECTED).count():
        found.append(f"{label} {url}: {injected} element(s) made of a hostile string")
    violations = page.evaluate("window.__cspViolations")
    found.extend(f"{label} {url}: CSP violation {v}" for v in violations)
    found.extend(f"{label} {url}: {p}" for p in problems)
    problems.clear()
    return found


def test_hostile_strings_stay_text_on_every_page_for_every_role(open_as, personas, northwind):
    Group.objects.get(name=Role.DESK_ADMIN)  # roles are synced (migrations ran)
    data = seed(northwind, personas)
    found: list[str] = []
    visited = 0
    for role in (Role.AGENT, Role.SUPERVISOR, Role.COMPLIANCE, Role.SECURITY, Role.DESK_ADMIN):
        page, problems = open_as(personas[role])
        for url in pages_for(role, data, personas):
            found += visit(page, problems, role, url)
            visited += 1
        # The strings are on the pages, as text (the sweep saw them, not nothing).
        if role == Role.AGENT:
            page.goto(f"/tickets/{data['tickets']['new'].reference}/")
            assert page.get_by_text(HOSTILE[0], exact=False).count() > 0
            assert page.get_by_text("{{ 7*7 }}", exact=False).count() > 0
            assert not re.search(r"\b49\b", page.locator("main").inner_text())
    assert visited > 50
    assert found == [], "\n".join(found)


def test_the_demo_s_dev_outbox_shows_hostile_messages_as_text(
    open_as, personas, settings, tmp_path
):
    """The Dev outbox (the demo, DEBUG on) prints what the sinks hold: e-mails and SMS
    whose text came from customers' data."""
    settings.DEBUG = True
    settings.SMS_SINK_DIR = tmp_path
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    for n, text in enumerate(HOSTILE):
        record = {"sent_at": timezone.now().isoformat(), "to": HOSTILE[n - 1][:40], "text": text}
        (tmp_path / f"{n}.json").write_text(json.dumps(record), encoding="utf-8")
    page, problems = open_as(personas[Role.DESK_ADMIN])
    assert visit(page, problems, "desk_admin", "/dev/outbox/") == []
    assert page.get_by_text(HOSTILE[1]).count() > 0


def test_the_api_docs_page_works_under_its_policy(page: Page):
    """Swagger UI (served by the desk) starts under the policy: no violation, no dialog."""
    page.add_init_script(COLLECT_VIOLATIONS)
    page.goto("/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "ProfileDesk API" in page.locator(".swagger-ui .info .title").inner_text()
    page.get_by_text("/api/v1/change-requests/", exact=True).first.wait_for()
    assert page.evaluate("window.__cspViolations") == []
