"""The wizard panel on the ticket page and its htmx endpoints (docs/design.md §4, §10)."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from profiledesk.tickets.services import ItemDraft
from tests.conftest import signed_in
from tests.factories import document_png, document_upload

from .helpers import email_key, new_email_item, open_ticket

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_ticket_page_shows_the_level_progress_and_masked_contacts(ticket, customer, agent):
    html = signed_in(agent).get(reverse("tickets:detail", args=[ticket.reference])).content
    html = html.decode()
    assert "AL0 of AL2" in html
    assert "One-time code: not yet" in html and "Security questions: not yet" in html
    email = customer.emails.get().email
    assert email not in html and f"{email[0]}•••@" in html
    assert customer.phones.get().number not in html
    assert 'autocomplete="off"' in html
    assert "First school?" in html


def test_sending_a_code_answers_with_the_panel_and_never_shows_the_code(
    ticket, customer, agent, sent
):
    http = signed_in(agent)
    response = http.post(
        reverse("verification:otp_send", args=[ticket.reference]),
        {"contact": email_key(customer)},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="verification-panel"' in html and "<html" not in html
    assert "Code sent" in html
    assert sent[0].code not in html
    page = http.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert sent[0].code not in page


def test_every_refusal_is_a_clear_message(ticket, customer, agent, sent):
    http = signed_in(agent)
    url = reverse("verification:otp_send", args=[ticket.reference])
    http.post(url, {"contact": email_key(customer)}, **HTMX)
    again = http.post(url, {"contact": email_key(customer)}, **HTMX).content.decode()
    assert "Wait" in again and "before sending another" in again
    challenge = ticket.otp_challenges.get()
    wrong = f"{(int(sent[0].code) + 1) % 1_000_000:06d}"
    html = http.post(
        reverse("verification:otp_check", args=[ticket.reference]),
        {"challenge": challenge.pk, "code": wrong},
        **HTMX,
    ).content.decode()
    assert "Wrong code. 4 more tries for this code." in html


def test_reaching_the_level_reloads_the_page_to_offer_mark_verified(ticket, customer, agent, sent):
    http = signed_in(agent)
    question = customer.security_questions.get()
    http.post(
        reverse("verification:questions", args=[ticket.reference]),
        {f"answer_{question.pk}": "st marys"},
        **HTMX,
    )
    http.post(
        reverse("verification:otp_send", args=[ticket.reference]),
        {"contact": email_key(customer)},
        **HTMX,
    )
    response = http.post(
        reverse("verification:otp_check", args=[ticket.reference]),
        {"challenge": ticket.otp_challenges.get().pk, "code": sent[0].code},
        **HTMX,
    )
    assert response["HX-Refresh"] == "true"
    page = http.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert "Mark verified" in page and "AL2 of AL2" in page


def test_without_htmx_a_post_redirects_to_the_ticket_with_a_message(ticket, customer, agent):
    http = signed_in(agent)
    response = http.post(
        reverse("verification:otp_send", args=[ticket.reference]), {"contact": "email:999999"}
    )
    assert response.status_code == 302
    page = http.get(response["Location"]).content.decode()
    assert "verified contact on file" in page


def test_details_are_revealed_in_full_only_after_verification_and_audited(
    clock, customer, agent, sent
):
    ticket = open_ticket(customer, agent, items=[new_email_item("new.grace@example.com")])
    http = signed_in(agent)
    url = reverse("verification:reveal", args=[ticket.reference])
    refused = http.post(url, **HTMX).content.decode()
    assert "Verify the caller first" in refused
    assert "new.grace@example.com" not in refused
    question = customer.security_questions.get()
    http.post(
        reverse("verification:questions", args=[ticket.reference]),
        {f"answer_{question.pk}": "st marys"},
        **HTMX,
    )
    http.post(
        reverse("verification:otp_send", args=[ticket.reference]),
        {"contact": email_key(customer)},
        **HTMX,
    )
    http.post(
        reverse("verification:otp_check", args=[ticket.reference]),
        {"challenge": ticket.otp_challenges.get().pk, "code": sent[0].code},
        **HTMX,
    )
    assert not AuditEvent.objects.filter(action="verification.details_revealed").exists()
    html = http.post(url, **HTMX).content.decode()
    assert "new.grace@example.com" in html
    event = AuditEvent.objects.get(action="verification.details_revealed")
    assert event.actor == agent and event.data["ticket"] == ticket.reference


def test_a_locked_customer_shows_the_lock_on_the_panel(ticket, customer, agent):
    http = signed_in(agent)
    question = customer.security_questions.get()
    for _ in range(3):
        html = http.post(
            reverse("verification:questions", args=[ticket.reference]),
            {f"answer_{question.pk}": "wrong"},
            **HTMX,
        ).content.decode()
    assert "locked for this customer" in html
    page = http.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert 'data-testid="verification-locked"' in page
    assert 'data-testid="otp-send"' not in page


def test_the_panel_offers_only_the_methods_still_needed(ticket, customer, agent):
    http = signed_in(agent)
    question = customer.security_questions.get()
    html = http.post(
        reverse("verification:questions", args=[ticket.reference]),
        {f"answer_{question.pk}": "st marys"},
        **HTMX,
    ).content.decode()
    assert 'data-testid="questions"' not in html
    assert 'data-testid="otp-send"' in html
    assert 'data-testid="document"' not in html  # AL2: no document needed


def test_a_contact_change_offers_to_prove_the_new_address_masked(clock, customer, agent, sent):
    ticket = open_ticket(customer, agent, items=[new_email_item("new.grace@example.com")])
    http = signed_in(agent)
    page = http.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert 'data-testid="otp-send-new"' in page and "n•••@example.com" in page
    assert "new.grace@example.com" not in page
    item = ticket.items.get()
    http.post(
        reverse("verification:otp_send", args=[ticket.reference]),
        {"contact": f"item:{item.pk}"},
        **HTMX,
    )
    assert sent[-1].to == "new.grace@example.com"


def test_a_document_is_uploaded_with_its_checklist_through_the_panel(clock, customer, agent):
    ticket = open_ticket(
        customer,
        agent,
        category="organisation",
        items=[
            ItemDraft(
                section="organisation",
                field="organisation.business_name",
                label="Business name",
                new_value="Hopper Ltd",
                new_display="Hopper Ltd",
            )
        ],
    )
    http = signed_in(agent)
    page = http.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert 'data-testid="document"' in page  # AL3: the document step is offered
    html = http.post(
        reverse("verification:document_upload", args=[ticket.reference]),
        {
            "document_type": "company_registration",
            "file": document_upload(document_png(fmt="JPEG"), "reg.jpg"),
            "photo_matches": "on",
            "name_matches": "on",
            "not_expired": "on",
            "type_confirmed": "on",
        },
        **HTMX,
    ).content.decode()
    assert "Document check passed." in html
    assert "Identity document: passed" in html
    check = ticket.document_checks.get()
    assert reverse("verification:document", args=[ticket.reference, check.pk]) in html


def test_only_the_agent_working_a_verified_ticket_is_offered_and_given_its_details(
    clock, customer, personas
):
    """Another agent or a supervisor opening a verified ticket saw "Show the details" and
    could read the customer's values without a reason (found by the takeover journey);
    a ticket with security is masked for its agent too."""
    from profiledesk.tickets.models import State
    from profiledesk.tickets.states import transition
    from tests.approvals.helpers import second, verify

    agent = personas["agent"]
    ticket = open_ticket(customer, agent, items=[new_email_item("new.grace@example.com")])
    verify(ticket, agent, level=2)
    url = reverse("verification:reveal", args=[ticket.reference])
    page = reverse("tickets:detail", args=[ticket.reference])
    for other in (second("agent", customer.client), personas["supervisor"]):
        http = signed_in(other)
        assert 'data-testid="reveal-details"' not in http.get(page).content.decode()
        refused = http.post(url, **HTMX).content.decode()
        assert "Only the agent working this ticket" in refused
        assert "new.grace@example.com" not in refused
    assert not AuditEvent.objects.filter(action="verification.details_revealed").exists()

    http = signed_in(agent)
    assert 'data-testid="reveal-details"' in http.get(page).content.decode()
    assert "new.grace@example.com" in http.post(url, **HTMX).content.decode()

    transition(ticket=ticket, to=State.ESCALATED, by=agent, reason="Suspected takeover")
    assert 'data-testid="reveal-details"' not in http.get(page).content.decode()
    assert "new.grace@example.com" not in http.post(url, **HTMX).content.decode()
