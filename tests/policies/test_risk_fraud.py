"""Fraud rules of issue 11: the takeover sequence across tickets and its window, look-alike
and internationalised e-mail domains, the same mailbox in another spelling, and the same
identity document shown for another customer."""

import datetime as dt

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from profiledesk.policies.defaults import policies_ensure_defaults
from profiledesk.policies.models import Policy
from profiledesk.policies.risk import email_spellings, risk_assess
from profiledesk.tickets.models import State, TicketEvent
from tests.factories import EmailAddressFactory, complete_customer
from verification.models import DocumentCheck

from .builders import TUESDAY_MORNING
from .builders import make_ticket as _make_ticket

NOW = TUESDAY_MORNING  # the desk is open
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
NEW_EMAIL = ("contact", "emailaddress.email", "grace.new@example.com")
PRIMARY_PHONE = ("contact", "phonenumber.is_primary", "true")
RESET = ("security", "securitysettings.password_reset", "")
TWO_FA = ("security", "securitysettings.two_factor_reset", "")
CARD = ("billing", "paymentcard.vault_token", '{"token": "tok_1", "fingerprint": "f-new"}')
ADDRESS = ("contact", "postaladdress.line1", "1 Main Street")


def make_ticket(client, *, created_at=NOW, **kwargs):
    return _make_ticket(client, created_at=created_at, **kwargs)


def set_cooling_off(client, hours_by_category: dict[str, int]) -> None:
    policies_ensure_defaults(client=client)
    for policy in Policy.objects.filter(client=client):
        policy.cooling_off_hours = hours_by_category.get(policy.category, 0)
        policy.save()


def assess(ticket, *, now=NOW):
    with time_machine.travel(now, tick=False):
        return risk_assess(ticket)


def rules(assessment) -> dict[str, int]:
    return {reason.rule: reason.points for reason in assessment.reasons}


def applied(client, customer, items, category, when):
    ticket = make_ticket(client, customer=customer, items=items, category=category, created_at=when)
    TicketEvent.objects.create(
        ticket=ticket, at=when, kind="transition", from_state="ready", to_state="applied"
    )
    ticket.state = State.APPLIED  # (a fixture: the timeline event is what the rule reads)
    ticket.save(update_fields=["state"])
    return ticket


def open_in(client, customer, items, category, state):
    ticket = make_ticket(client, customer=customer, items=items, category=category)
    ticket.state = state
    ticket.save(update_fields=["state"])
    return ticket


# -- the takeover sequence ---------------------------------------------------------------


@pytest.mark.parametrize("contact", [NEW_EMAIL, PRIMARY_PHONE], ids=["new e-mail", "primary"])
@pytest.mark.parametrize("security", [RESET, TWO_FA], ids=["password", "2FA"])
def test_a_contact_change_then_a_security_change_is_high(office, grace, contact, security):
    earlier = applied(office, grace, [contact], "contact", NOW - 3 * HOUR)
    ticket = make_ticket(office, customer=grace, items=[security], category="security")
    assessment = assess(ticket)
    assert rules(assessment)["takeover_sequence"] == 50
    assert assessment.level in ("high", "critical")
    reason = next(r.reason for r in assessment.reasons if r.rule == "takeover_sequence")
    assert earlier.reference in reason and "this request" in reason


def test_a_card_first_then_an_email_change_is_high(office, grace):
    card = applied(office, grace, [CARD], "billing", NOW - 2 * HOUR)
    ticket = make_ticket(office, customer=grace, items=[NEW_EMAIL])
    assessment = assess(ticket)
    assert rules(assessment) == {"takeover_sequence": 50}
    assert card.reference in assessment.reasons[0].reason


@pytest.mark.parametrize("state", [State.READY, State.PENDING_APPROVAL, State.APPROVED])
def test_a_step_still_on_its_way_counts_as_done(office, grace, state):
    open_in(office, grace, [NEW_EMAIL], "contact", state)
    ticket = make_ticket(office, customer=grace, items=[RESET], category="security")
    assert rules(assess(ticket))["takeover_sequence"] == 50


@pytest.mark.parametrize("state", [State.CANCELLED, State.REJECTED, State.VERIFYING])
def test_a_step_cancelled_rejected_or_not_yet_verified_does_not(office, grace, state):
    open_in(office, grace, [NEW_EMAIL], "contact", state)
    ticket = make_ticket(office, customer=grace, items=[RESET], category="security")
    assert "takeover_sequence" not in rules(assess(ticket))


def test_all_three_steps_are_critical_in_any_order(office, grace):
    applied(office, grace, [CARD], "billing", NOW - 5 * HOUR)
    applied(office, grace, [RESET], "security", NOW - 4 * HOUR)
    ticket = make_ticket(office, customer=grace, items=[PRIMARY_PHONE])
    assessment = assess(ticket)
    assert rules(assessment)["takeover_sequence"] == 80
    assert assessment.level == "critical"


def test_a_step_outside_the_window_does_not_count(office, grace):
    applied(office, grace, [NEW_EMAIL], "contact", NOW - 25 * HOUR)
    ticket = make_ticket(office, customer=grace, items=[RESET], category="security")
    assert "takeover_sequence" not in rules(assess(ticket))


def test_the_window_is_the_clients_longest_cooling_off(office, grace):
    set_cooling_off(office, {"billing": 72, "security": 24})
    applied(office, grace, [NEW_EMAIL], "contact", NOW - 48 * HOUR)
    ticket = make_ticket(office, customer=grace, items=[CARD], category="billing")
    assessment = assess(ticket)
    assert rules(assessment)["takeover_sequence"] == 50
    assert "72 h" in next(r.reason for r in assessment.reasons if r.rule == "takeover_sequence")


@override_settings(RISK_TAKEOVER_WINDOW_HOURS=24)
def test_a_client_without_cooling_off_still_has_the_sequence_scored(office, grace):
    set_cooling_off(office, {})
    applied(office, grace, [NEW_EMAIL], "contact", NOW - 20 * HOUR)
    ticket = make_ticket(office, customer=grace, items=[RESET], category="security")
    assert rules(assess(ticket))["takeover_sequence"] == 50


def test_security_and_billing_without_a_contact_change_are_not_the_sequence(office, grace):
    applied(office, grace, [RESET], "security", NOW - HOUR)
    ticket = make_ticket(office, customer=grace, items=[CARD], category="billing")
    assert "takeover_sequence" not in rules(assess(ticket))


def test_a_postal_address_is_not_a_step_of_the_sequence(office, grace):
    applied(office, grace, [ADDRESS], "contact", NOW - HOUR)
    ticket = make_ticket(office, customer=grace, items=[RESET], category="security")
    assert "takeover_sequence" not in rules(assess(ticket))


def test_an_unrelated_request_after_the_sequence_is_not_scored_for_it(office, grace):
    applied(office, grace, [NEW_EMAIL], "contact", NOW - 2 * HOUR)
    applied(office, grace, [RESET], "security", NOW - HOUR)
    ticket = make_ticket(office, customer=grace, items=[ADDRESS])
    assert "takeover_sequence" not in rules(assess(ticket))


def test_another_customers_steps_do_not_count(office, grace):
    other = complete_customer(office)
    applied(office, other, [NEW_EMAIL], "contact", NOW - HOUR)
    ticket = make_ticket(office, customer=grace, items=[RESET], category="security")
    assert "takeover_sequence" not in rules(assess(ticket))


# -- look-alike and internationalised domains --------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "grace@g\u043e\u043egle.com",  # Cyrillic o (U+043E) twice
        "grace@xn--ggle-55da.com",  # the same, already in punycode
        "grace@\u0440\u0430ypal.com",  # Cyrillic r (U+0440) and a (U+0430)
    ],
)
def test_a_look_alike_domain_adds_points_shown_in_punycode(office, grace, address):
    ticket = make_ticket(office, customer=grace, items=[("contact", "emailaddress.email", address)])
    assessment = assess(ticket)
    assert rules(assessment) == {"confusable_contact": 30}
    assert "xn--" in assessment.reasons[0].reason
    assert assessment.reasons[0].reason.isascii()  # what the reader sees cannot deceive


def test_an_internationalised_domain_adds_fewer_points(office, grace):
    items = [("contact", "emailaddress.email", "grace@b\u00fccher.de")]
    assessment = assess(make_ticket(office, customer=grace, items=items))
    assert rules(assessment) == {"idn_contact": 15}
    assert "xn--bcher-kva.de" in assessment.reasons[0].reason


def test_a_plain_domain_adds_nothing(office, grace):
    assert assess(make_ticket(office, customer=grace, items=[NEW_EMAIL])).reasons == []


@settings(max_examples=60, deadline=None)
@given(domain=st.text(min_size=1, max_size=40))
def test_no_domain_however_hostile_breaks_the_rule(domain):
    """Whatever follows the @, the rules answer (no exception): bad IDNA is no crash."""
    from profiledesk.policies import risk

    ticket = type("T", (), {"rollback_of_id": None})()
    item = type("I", (), {"field": "emailaddress.email", "new_value": f"x@{domain}"})()
    facts = risk.Facts(ticket=ticket, customer=None, items=[item], now=NOW)
    reason = risk.confusable_contact(facts)
    assert reason is None or reason.rule in ("confusable_contact", "idn_contact")
    assert email_spellings(f"x@{domain}")


# -- the same mailbox in another spelling ------------------------------------------------


def test_an_idn_mailbox_of_another_customer_matches_in_punycode(office, grace):
    other = complete_customer(office)
    EmailAddressFactory(customer=other, is_primary=False, email="Shared@xn--bcher-kva.de")
    items = [("contact", "emailaddress.email", "shared@B\u00dcCHER.de")]
    assert "value_of_another_customer" in rules(
        assess(make_ticket(office, customer=grace, items=items))
    )


def test_a_unicode_mailbox_on_file_matches_a_punycode_request(office, grace):
    other = complete_customer(office)
    EmailAddressFactory(customer=other, is_primary=False, email="shared@b\u00fccher.de")
    items = [("contact", "emailaddress.email", "SHARED@xn--bcher-kva.de")]
    assert "value_of_another_customer" in rules(
        assess(make_ticket(office, customer=grace, items=items))
    )


# -- the same identity document ----------------------------------------------------------


def _document(ticket, customer, digest):
    check = DocumentCheck(
        ticket=ticket,
        customer=customer,
        document_type="passport",
        original_name="passport.png",
        content_type="image/png",
        size=10,
        sha256=digest,
        result="passed",
        checked_at=NOW,
    )
    check.file.save("doc.png", ContentFile(b"x" * 10), save=False)
    check.save()
    return check


def test_the_same_document_for_another_customer_adds_points(office, grace):
    other = complete_customer(office)
    _document(make_ticket(office, customer=other, items=[ADDRESS]), other, "a" * 64)
    ticket = make_ticket(office, customer=grace, items=[ADDRESS])
    _document(ticket, grace, "a" * 64)
    assessment = assess(ticket)
    assert rules(assessment) == {"shared_document": 50}
    assert assessment.level == "high"


def test_the_customers_own_document_again_is_no_concern(office, grace):
    _document(make_ticket(office, customer=grace, items=[ADDRESS]), grace, "b" * 64)
    ticket = make_ticket(office, customer=grace, items=[ADDRESS])
    _document(ticket, grace, "b" * 64)
    assert "shared_document" not in rules(assess(ticket))


def test_a_document_without_a_recorded_hash_matches_nothing(office, grace):
    other = complete_customer(office)
    _document(make_ticket(office, customer=other, items=[ADDRESS]), other, "")
    ticket = make_ticket(office, customer=grace, items=[ADDRESS])
    _document(ticket, grace, "")
    assert "shared_document" not in rules(assess(ticket))
