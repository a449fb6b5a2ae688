"""Revealing a masked value (docs/design.md §2, §7): a deliberate POST, recorded in the audit log
with who, whose and which field, never the value itself. Masked until verified (issue 11):
an agent reveals only while holding a ticket of the customer whose verification is
complete and valid; supervisors, compliance and security with a typed reason, recorded."""

import datetime as dt
import json

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from profiledesk.tickets.models import State
from profiledesk.tickets.states import transition
from tests.approvals.helpers import verify
from tests.conftest import signed_in
from tests.factories import card_on_file, complete_customer
from tests.verification.helpers import open_ticket
from verification.services import questions_check

REFUSAL = "Verify the caller on one of your tickets first"


@pytest.fixture
def verified(customer, personas):
    """The agent's ticket of the customer, verified at the level it needs (AL2)."""
    ticket = open_ticket(customer, personas["agent"])
    verify(ticket, personas["agent"], level=2)
    return ticket


def _reveals():
    return AuditEvent.objects.filter(action="customer.sensitive_revealed")


def _reveal_url(customer, kind: str, row, field: str) -> str:
    return reverse("customers:reveal", args=[customer.pk, kind, row.pk, field])


def _reveal(user, customer, kind: str, row, field: str, *, reason: str = "", **headers):
    data = {"reason": reason} if reason else {}
    return signed_in(user).post(_reveal_url(customer, kind, row, field), data, headers=headers)


def test_an_agent_reveals_a_national_id_and_the_reveal_is_recorded(personas, customer, verified):
    agent = personas["agent"]
    response = _reveal(agent, customer, "personal", customer.personal, "national_id")

    assert response.status_code == 200
    assert "QQ123456C" in response.content.decode()
    event = _reveals().get()
    assert (event.actor, event.actor_username) == (agent, "agent")
    assert event.client == customer.client
    assert (event.target_type, event.target_id) == ("customers.customer", str(customer.pk))
    assert event.data["field"] == "national_id"
    assert event.data["row_id"] == customer.personal.pk
    assert event.data["basis"] == verified.reference
    assert "QQ123456C" not in json.dumps(event.data)


@pytest.mark.parametrize(
    ("kind", "row", "field", "value"),
    [
        ("personal", lambda c: c.personal, "date_of_birth", "1984-03-07"),
        ("email", lambda c: c.emails.get(), "email", None),
        ("phone", lambda c: c.phones.get(), "number", None),
        ("address", lambda c: c.addresses.get(), "line1", "10 Downing Street"),
    ],
)
def test_a_revealed_value_is_shown_in_full_and_kept_out_of_the_audit_log(
    personas, customer, kind, row, field, value
):
    target = row(customer)
    value = value or getattr(target, field)
    response = _reveal(personas["supervisor"], customer, kind, target, field, reason="Complaint")
    assert value in response.content.decode()
    assert value not in json.dumps(_reveals().get().data)


def test_a_bank_account_reveal_shows_the_full_iban_from_the_vault(personas, customer, verified):
    bank = customer.bank_accounts.get()
    response = _reveal(personas["agent"], customer, "bank", bank, "iban_masked")
    assert response.status_code == 200
    assert "GB82 WEST 1234 5698 7654 32" in response.content.decode()
    event = _reveals().get()
    assert event.data["field"] == "iban_masked"
    assert "5698" not in json.dumps(event.data)


def test_an_htmx_reveal_answers_with_the_value_alone(personas, customer, verified):
    response = _reveal(
        personas["agent"],
        customer,
        "personal",
        customer.personal,
        "national_id",
        HX_Request="true",
    )
    page = response.content.decode()
    assert 'data-testid="revealed"' in page
    assert "QQ123456C" in page
    assert "<html" not in page


def test_a_revealed_value_is_not_kept_in_any_cache(personas, customer, verified):
    response = _reveal(personas["agent"], customer, "personal", customer.personal, "national_id")
    assert "no-store" in response["Cache-Control"]


def test_a_reveal_appears_in_the_profiles_access_log(personas, customer, verified):
    _reveal(
        personas["compliance"],
        customer,
        "personal",
        customer.personal,
        "national_id",
        reason="DSAR",
    )
    profile = signed_in(personas["agent"]).get(reverse("customers:profile", args=[customer.pk]))
    log = profile.content.decode().split('data-testid="access-log"')[1]
    # Named as the desk names staff everywhere: the full name, not the username.
    assert str(personas["compliance"].get_full_name()) in log
    assert "national ID" in log


def test_a_reveal_cannot_be_made_with_get(personas, customer, verified):
    url = _reveal_url(customer, "personal", customer.personal, "national_id")
    response = signed_in(personas["agent"]).get(url)
    assert response.status_code == 405
    assert "QQ123456C" not in response.content.decode()
    assert not _reveals().exists()


def test_a_reveal_without_the_csrf_token_is_refused(personas, customer, verified):
    http = signed_in(personas["agent"])
    http.handler.enforce_csrf_checks = True
    response = http.post(_reveal_url(customer, "personal", customer.personal, "national_id"))
    assert response.status_code == 403
    assert not _reveals().exists()


@pytest.mark.parametrize(
    ("kind", "row", "field"),
    [
        ("bank", lambda c: c.bank_accounts.get(), "vault_token"),
        ("bank", lambda c: c.bank_accounts.get(), "fingerprint"),
        ("security", lambda c: c.security_questions.get(), "answer_hash"),
        ("question", lambda c: c.security_questions.get(), "answer_hash"),
        ("personal", lambda c: c.personal, "legal_name"),  # never masked: nothing to reveal
        ("personal", lambda c: c.personal, "no_such_field"),
        ("personal", lambda c: c.personal, "__class__"),
    ],
)
def test_a_secret_or_unmasked_field_cannot_be_revealed(
    personas, customer, verified, kind, row, field
):
    target = row(customer)
    response = _reveal(personas["agent"], customer, kind, target, field)
    assert response.status_code == 404
    assert not _reveals().exists()
    if hasattr(target, field) and isinstance(getattr(target, field), str):
        assert getattr(target, field) not in response.content.decode()


def test_a_card_token_cannot_be_revealed(personas, customer, verified):
    card = card_on_file(customer, "4111111111111111", exp_month=1, holder_name="G HOPPER")
    for kind in ["card", "bank"]:
        response = _reveal(personas["agent"], customer, kind, card, "vault_token")
        assert response.status_code == 404
        assert card.vault_token not in response.content.decode()
    assert not _reveals().exists()


def test_a_row_of_another_customer_cannot_be_revealed_through_this_customers_url(
    personas, northwind, customer, verified
):
    other = complete_customer(northwind, legal_name="Alan Turing", national_id="AB987654C")
    response = _reveal(personas["agent"], customer, "personal", other.personal, "national_id")
    assert response.status_code == 404
    assert "AB987654C" not in response.content.decode()
    assert not _reveals().exists()


def test_an_agent_of_another_client_gets_404(personas, customer):
    response = _reveal(personas["outsider"], customer, "personal", customer.personal, "national_id")
    assert response.status_code == 404
    assert "QQ123456C" not in response.content.decode()
    assert not _reveals().exists()


def test_a_desk_admin_may_not_reveal(personas, customer):
    response = _reveal(
        personas["desk_admin"], customer, "personal", customer.personal, "national_id"
    )
    assert response.status_code == 403
    assert "QQ123456C" not in response.content.decode()
    assert not _reveals().exists()


# --- masked until verified (issue 11) ----------------------------------------------------


def test_after_two_failed_question_rounds_the_agent_cannot_reveal(personas, customer):
    """The case of issue 11: two wrong rounds of questions, then "Reveal" on the profile."""
    agent = personas["agent"]
    ticket = open_ticket(customer, agent)
    question = customer.security_questions.get()
    for _ in range(2):
        assert not questions_check(ticket=ticket, staff=agent, answers={question.pk: "no"}).passed
    email = customer.emails.get()
    for kind, row, field, value in (
        ("email", email, "email", email.email),
        ("personal", customer.personal, "date_of_birth", "1984-03-07"),
        ("personal", customer.personal, "national_id", "QQ123456C"),
        ("address", customer.addresses.get(), "line1", "10 Downing Street"),
        ("bank", customer.bank_accounts.get(), "iban_masked", "GB82 WEST 1234 5698 7654 32"),
    ):
        response = _reveal(agent, customer, kind, row, field)
        assert response.status_code == 403
        assert REFUSAL in response.content.decode()
        assert value not in response.content.decode()
    htmx = _reveal(agent, customer, "email", email, "email", HX_Request="true")
    assert REFUSAL in htmx.content.decode() and email.email not in htmx.content.decode()
    assert not _reveals().exists()
    refused = AuditEvent.objects.filter(action="customer.reveal_refused")
    assert refused.count() == 6 and refused.first().actor == agent


def test_the_profile_offers_no_reveal_to_an_unverified_agent_and_says_why(personas, customer):
    page = signed_in(personas["agent"]).get(reverse("customers:profile", args=[customer.pk]))
    html = page.content.decode()
    assert REFUSAL in html
    assert "/reveal/" not in html


def test_an_agent_with_a_verified_ticket_reveals(personas, customer, verified):
    page = signed_in(personas["agent"]).get(reverse("customers:profile", args=[customer.pk]))
    assert "/reveal/" in page.content.decode() and REFUSAL not in page.content.decode()
    response = _reveal(personas["agent"], customer, "email", customer.emails.get(), "email")
    assert response.status_code == 200
    assert customer.emails.get().email in response.content.decode()
    assert _reveals().get().data["basis"] == verified.reference


def test_a_ticket_escalated_to_security_is_no_basis_for_revealing(personas, customer, verified):
    """A verified ticket that went to security as a suspected takeover does not let its
    agent keep reading the customer's details."""
    transition(ticket=verified, to=State.ESCALATED, by=personas["agent"], reason="Takeover?")
    response = _reveal(personas["agent"], customer, "email", customer.emails.get(), "email")
    assert response.status_code == 403
    assert REFUSAL in response.content.decode()
    assert not _reveals().exists()


def test_an_expired_verification_no_longer_reveals(personas, customer):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        ticket = open_ticket(customer, personas["agent"])
        verify(ticket, personas["agent"], level=2)
        clock.shift(dt.timedelta(minutes=30))
        response = _reveal(
            personas["agent"], customer, "personal", customer.personal, "national_id"
        )
    assert response.status_code == 403
    assert not _reveals().exists()


def test_a_verification_below_the_tickets_level_does_not_reveal(personas, customer):
    from verification.models import Attempt

    ticket = open_ticket(customer, personas["agent"])
    Attempt.objects.create(  # questions only (AL1); the contact change needs AL2
        ticket=ticket,
        customer=customer,
        method="questions",
        result="passed",
        staff=personas["agent"],
        at=timezone.now(),
    )
    response = _reveal(personas["agent"], customer, "personal", customer.personal, "national_id")
    assert response.status_code == 403


def test_another_agents_verified_ticket_does_not_let_this_agent_reveal(
    personas, customer, northwind
):
    from tests.conftest import make_staff

    colleague = make_staff("agent2", "agent", northwind)
    ticket = open_ticket(customer, colleague)
    verify(ticket, colleague, level=2)
    response = _reveal(personas["agent"], customer, "personal", customer.personal, "national_id")
    assert response.status_code == 403
    assert (
        _reveal(colleague, customer, "personal", customer.personal, "national_id").status_code
        == 200
    )


def test_a_closed_ticket_does_not_count(personas, customer, verified):
    transition(ticket=verified, to=State.CANCELLED, by=personas["agent"], reason="Caller hung up")
    response = _reveal(personas["agent"], customer, "personal", customer.personal, "national_id")
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["supervisor", "compliance", "security"])
def test_oversight_without_a_reason_gets_a_form_error(personas, customer, role):
    response = _reveal(personas[role], customer, "personal", customer.personal, "national_id")
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="reveal-reason-error"' in html and "Give the reason" in html
    assert "QQ123456C" not in html
    htmx = _reveal(
        personas[role], customer, "personal", customer.personal, "national_id", HX_Request="true"
    )
    assert "Give the reason" in htmx.content.decode() and 'name="reason"' in htmx.content.decode()
    assert not _reveals().exists()


@pytest.mark.parametrize("role", ["supervisor", "compliance", "security"])
def test_oversight_with_a_reason_reveals_and_the_reason_is_recorded(personas, customer, role):
    response = _reveal(
        personas[role],
        customer,
        "personal",
        customer.personal,
        "national_id",
        reason="  Fraud review   of 4111 1111 1111 1111 ",
    )
    assert response.status_code == 200
    assert "QQ123456C" in response.content.decode()
    event = _reveals().get()
    assert event.data["basis"] == "reason"
    assert event.data["reason"].startswith("Fraud review of ")
    assert "4111 1111 1111 1111" not in event.data["reason"]  # card-like numbers redacted


def test_the_profile_asks_oversight_for_a_reason(personas, customer):
    html = (
        signed_in(personas["supervisor"])
        .get(reverse("customers:profile", args=[customer.pk]))
        .content.decode()
    )
    assert 'name="reason"' in html and "Reason (recorded)" in html


def test_another_clients_customer_is_404_even_with_a_reason(personas, customer):
    response = _reveal(
        personas["outsider"], customer, "personal", customer.personal, "national_id", reason="x"
    )
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="customer.reveal").exists()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(reason=st.text(max_size=700))
def test_any_typed_reason_is_recorded_normalised_or_refused_on_its_field(
    personas, customer, reason
):
    """Hostile reasons (control characters, NUL, 700 characters, only blanks): never an
    error, one printable line of at most 500 characters kept, and blank is a form error."""
    from profiledesk.customers.reveal import RevealRefused, customer_field_reveal

    before = _reveals().count()
    try:
        customer_field_reveal(
            customer=customer,
            staff=personas["compliance"],
            kind="personal",
            row_id=customer.personal.pk,
            field="national_id",
            reason=reason,
        )
    except RevealRefused as refused:
        printable = [ch for ch in reason if ch.isprintable() and not ch.isspace()]
        assert refused.field == "reason" and not printable
        assert _reveals().count() == before
        return
    recorded = _reveals().latest("id").data["reason"]
    assert recorded and len(recorded) <= 500 and recorded == recorded.strip()
    assert all(ch.isprintable() for ch in recorded)
