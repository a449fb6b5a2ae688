"""The verification panel on the ticket page (issue 11): a verification that happened is
shown as what it was — "Verified AL2 at 10:32 by Jane Doe — code to j•••@…, questions; valid
until 11:02", or "expired at 11:02" — never as "AL0 of AL2 ✘ not yet" on a ticket past
verification. While a cooling-off holds a security or billing change, the wizard works
toward AL3 and offers the document step, saying that lifting the hold needs a second
person's approval."""

import datetime as dt

import pytest
from django.urls import reverse

from profiledesk.apply.services import ticket_apply
from profiledesk.tickets.models import State
from profiledesk.tickets.states import transition
from tests.approvals.helpers import BILLING_ITEM
from tests.conftest import signed_in
from tests.factories import document_upload
from verification.services import document_check_record, verification_complete

from .helpers import ALL_TICKED, email_key, open_ticket
from .test_status import pass_otp, pass_questions

pytestmark = pytest.mark.django_db


def _panel(user, ticket) -> str:
    html = signed_in(user).get(reverse("tickets:detail", args=[ticket.reference])).content
    return html.decode().split('id="verification-panel"')[1].split("</section>")[0]


def _verified_ready(ticket, customer, agent, sent, clock):
    pass_otp(ticket, agent, sent, email_key(customer))
    clock.shift(dt.timedelta(minutes=2))
    pass_questions(ticket, customer, agent)
    verification_complete(ticket=ticket, by=agent)
    return ticket


def _short(agent) -> str:
    # Staff are named one way everywhere (profiledesk/accounts/naming.py): the full name.
    return f"{agent.first_name} {agent.last_name}"


def test_a_ticket_being_verified_shows_its_live_progress(ticket, agent):
    panel = _panel(agent, ticket)
    assert "AL0 of AL2" in panel and "One-time code: not yet" in panel
    assert 'data-testid="verification-fact"' not in panel


def test_a_ready_ticket_shows_the_verification_it_relies_on(ticket, customer, agent, sent, clock):
    _verified_ready(ticket, customer, agent, sent, clock)
    panel = _panel(agent, ticket)
    masked = f"{customer.emails.get().email[0]}•••@example.com"
    # Code at 10:00, questions at 10:02: AL2 reached at 10:02, valid until the code's 10:30.
    assert f"Verified AL2 at 10:02 by {_short(agent)} — code to {masked}, questions;" in panel
    assert "valid until 10:30" in panel
    assert "AL2 verified" in panel
    assert "not yet" not in panel and "AL0" not in panel and "✘" not in panel


def test_after_expiry_the_panel_says_expired_not_undone(ticket, customer, agent, sent, clock):
    _verified_ready(ticket, customer, agent, sent, clock)
    clock.shift(dt.timedelta(minutes=31))
    panel = _panel(agent, ticket)
    assert "Verified AL2 at 10:02" in panel and "expired at 10:30" in panel
    assert "AL2 · expired" in panel
    assert "not yet" not in panel and "AL0" not in panel


def test_an_applied_and_then_closed_ticket_keeps_its_verification(
    ticket, customer, agent, sent, clock
):
    _verified_ready(ticket, customer, agent, sent, clock)
    ticket_apply(ticket=ticket, by=agent)
    clock.shift(dt.timedelta(hours=2))
    ticket.refresh_from_db()
    assert ticket.state == State.APPLIED
    panel = _panel(agent, ticket)
    assert "Verified AL2 at 10:02" in panel and "expired at 10:30" in panel
    # Closing is the confirmations service's move; set it directly for the page's sake.
    ticket.state = State.CLOSED
    ticket.save(update_fields=["state"])
    panel = _panel(agent, ticket)
    assert "Verified AL2 at 10:02" in panel and "not yet" not in panel


def test_an_applied_email_change_shows_the_code_went_to_the_old_address(
    clock, customer, agent, sent
):
    """Applying an e-mail change rewrites the e-mail row in place: the fact must still name
    the address the code went to, not the one the change installed (found by the browser
    journey, tests/browser/test_takeover_journey.py)."""
    from profiledesk.intake.capture import drafts_for
    from profiledesk.privacy.masking import mask_email
    from verification.services import new_contacts

    old = customer.emails.get()
    old_address = old.email
    items = drafts_for(
        category="contact",
        cleaned_data={"email": "mallory@evil.example", "email_target": old.pk},
        customer=customer,
    )
    change = open_ticket(customer, agent, items=items)
    pass_otp(change, agent, sent, email_key(customer))
    [new] = new_contacts(change)
    clock.shift(dt.timedelta(minutes=1))
    pass_otp(change, agent, sent, new.key)
    pass_questions(change, customer, agent)
    verification_complete(ticket=change, by=agent)
    ticket_apply(ticket=change, by=agent)
    old.refresh_from_db()
    assert old.email == "mallory@evil.example"  # the row now holds the new address
    panel = _panel(agent, change)
    assert f"code to {mask_email(old_address)}, questions;" in panel
    assert "code to m•••@evil.example" not in panel


def test_a_ticket_cancelled_before_verification_says_so(customer, agent, clock):
    ticket = open_ticket(customer, agent, verifying=False)
    transition(ticket=ticket, to=State.CANCELLED, by=agent, reason="Duplicate")
    panel = _panel(agent, ticket)
    assert "No identity verification was recorded on this ticket." in panel
    assert "not yet" not in panel


def test_a_later_reverification_is_the_one_shown(ticket, customer, agent, sent, clock):
    pass_otp(ticket, agent, sent, email_key(customer))
    pass_questions(ticket, customer, agent)
    clock.shift(dt.timedelta(minutes=40))  # the first verification expired
    pass_otp(ticket, agent, sent, email_key(customer))
    pass_questions(ticket, customer, agent)
    verification_complete(ticket=ticket, by=agent)
    panel = _panel(agent, ticket)
    assert "Verified AL2 at 10:40" in panel and "valid until 11:10" in panel


# --- AL3 lifts a cooling-off: the wizard offers the document step ------------------------


def _applied_contact_change(customer, personas):
    from tests.apply.helpers import applicable

    earlier = applicable(customer, personas, "contact", {"email": "grace@navy.example"})
    ticket_apply(ticket=earlier, by=personas["agent"])
    return earlier


def test_a_billing_change_in_cooling_off_offers_the_document_step(clock, customer, personas, sent):
    agent = personas["agent"]
    old_email = email_key(customer)
    earlier = _applied_contact_change(customer, personas)
    clock.shift(dt.timedelta(hours=1))
    card = open_ticket(customer, agent, category="billing", items=[BILLING_ITEM])
    panel = _panel(agent, card)
    assert "AL0 of AL3" in panel
    assert "This change needs assurance level AL2." in panel
    assert f"AL3 while the cooling-off after {earlier.reference} holds." in panel
    assert 'data-testid="document"' in panel and "Identity document: not yet" in panel
    assert earlier.reference in panel
    assert "second person" in panel and "sees the document" in panel

    # AL3 reached through the wizard lifts the hold at the verification step.
    from profiledesk.approvals.rules import cooling_off_problem

    pass_otp(card, agent, sent, old_email)  # the new e-mail is withheld
    pass_questions(card, customer, agent)
    assert cooling_off_problem(card) is not None
    document_check_record(
        ticket=card,
        staff=agent,
        upload=document_upload(),
        document_type="passport",
        checklist=ALL_TICKED,
    )
    assert cooling_off_problem(card) is None


def test_without_a_cooling_off_the_billing_wizard_asks_only_its_level(clock, customer, agent):
    card = open_ticket(customer, agent, category="billing", items=[BILLING_ITEM])
    panel = _panel(agent, card)
    assert "AL0 of AL2" in panel
    assert "cooling-off" not in panel
    assert 'data-testid="document"' not in panel
    assert 'data-testid="verification-cooling-off"' not in panel
