"""risk_assess: each rule on its own, the levels, and the query budget."""

import datetime as dt
import json

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from profiledesk.customers.models import EmailAddress
from profiledesk.policies.risk import risk_assess, risk_level
from profiledesk.policies.services import risk_refresh
from profiledesk.tickets.models import State, TicketEvent
from profiledesk.tickets.services import ItemDraft, ticket_create
from profiledesk.vault.local import LocalVault
from profiledesk.vault.models import VaultedIban
from tests.factories import (
    BankAccountFactory,
    ClientFactory,
    EmailAddressFactory,
    PhoneNumberFactory,
    card_on_file,
    complete_customer,
)

from .builders import LONDON, TUESDAY_MORNING, at, holiday, make_ticket

NOW = TUESDAY_MORNING  # the desk is open
DAY = dt.timedelta(days=1)
CARD_ITEM = ("billing", "paymentcard.vault_token", '{"token": "tok_card_1", "fingerprint": "f1"}')
NEW_EMAIL = ("contact", "emailaddress.email", "grace.new@example.com")
NEW_ADDRESS = ("contact", "postaladdress.line1", "1 Main Street")


def assess(ticket, *, now=NOW):
    with time_machine.travel(now, tick=False):
        return risk_assess(ticket)


def rules(assessment) -> dict[str, int]:
    return {reason.rule: reason.points for reason in assessment.reasons}


def test_an_ordinary_request_scores_nothing(office, grace):
    assessment = assess(make_ticket(office, customer=grace, items=[NEW_ADDRESS], created_at=NOW))
    assert assessment.reasons == []
    assert (assessment.score, assessment.level) == (0, "low")


# -- levels ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0, "low"),
        (19, "low"),
        (20, "medium"),
        (49, "medium"),
        (50, "high"),
        (79, "high"),
        (80, "critical"),
        (200, "critical"),
    ],
)
def test_the_level_follows_the_documented_thresholds(score, level):
    assert risk_level(score) == level


# -- flagged or frozen ----------------------------------------------------------------


def test_a_frozen_profile_alone_makes_the_request_critical(office, grace):
    grace.frozen_at, grace.frozen_reason = NOW - DAY, "Reported: this wasn't me"
    grace.save(update_fields=["frozen_at", "frozen_reason"])
    assessment = assess(make_ticket(office, customer=grace, items=[NEW_ADDRESS], created_at=NOW))
    assert rules(assessment) == {"customer_frozen": 80}
    assert assessment.level == "critical"
    assert "this wasn't me" in assessment.reasons[0].reason


def test_a_flagged_customer_adds_points_and_says_why(office, grace):
    grace.is_flagged, grace.flag_reason = True, "Chargeback dispute"
    grace.save(update_fields=["is_flagged", "flag_reason"])
    assessment = assess(make_ticket(office, customer=grace, items=[NEW_ADDRESS], created_at=NOW))
    assert rules(assessment) == {"customer_flagged": 40}
    assert assessment.reasons[0].reason == "The customer is flagged: Chargeback dispute"


# -- recent contact change ------------------------------------------------------------


def test_an_email_changed_ten_days_ago_counts_as_a_recent_contact_change(office, grace):
    email = grace.emails.get()
    with time_machine.travel(NOW - 10 * DAY, tick=False):
        email.email = "grace.other@example.com"
        email.save()
    assessment = assess(make_ticket(office, customer=grace, items=[NEW_ADDRESS], created_at=NOW))
    assert rules(assessment) == {"recent_contact_change": 25}
    assert "23 May 2026" in assessment.reasons[0].reason


def test_a_change_older_than_thirty_days_does_not_count(office, grace):
    email = grace.emails.get()
    with time_machine.travel(NOW - 31 * DAY, tick=False):
        email.email = "grace.other@example.com"
        email.save()
    assessment = assess(make_ticket(office, customer=grace, items=[NEW_ADDRESS], created_at=NOW))
    assert "recent_contact_change" not in rules(assessment)


def test_verifying_a_contact_is_not_a_change_of_it(office, grace):
    phone = grace.phones.get()
    with time_machine.travel(NOW - 3 * DAY, tick=False):
        phone.verified_at = NOW - 3 * DAY
        phone.save()
    assessment = assess(make_ticket(office, customer=grace, items=[NEW_ADDRESS], created_at=NOW))
    assert "recent_contact_change" not in rules(assessment)


def test_a_phone_added_long_after_onboarding_counts(office, grace):
    with time_machine.travel(NOW - 2 * DAY, tick=False):
        PhoneNumberFactory(customer=grace, is_primary=False, number="+447700900999")
    assessment = assess(make_ticket(office, customer=grace, items=[NEW_ADDRESS], created_at=NOW))
    assert "recent_contact_change" in rules(assessment)


def test_the_contacts_a_new_customer_signed_up_with_are_not_a_change(office):
    with time_machine.travel(NOW - 5 * DAY, tick=False):
        newcomer = complete_customer(office, emails=2, phones=1)
    assessment = assess(make_ticket(office, customer=newcomer, items=[NEW_ADDRESS], created_at=NOW))
    assert "recent_contact_change" not in rules(assessment)


def test_removing_a_contact_counts(office):
    with time_machine.travel(NOW - 200 * DAY, tick=False):
        customer = complete_customer(office, emails=2)
    with time_machine.travel(NOW - 4 * DAY, tick=False):
        customer.emails.get(is_primary=False).delete()
    assessment = assess(make_ticket(office, customer=customer, items=[NEW_ADDRESS], created_at=NOW))
    assert "recent_contact_change" in rules(assessment)


def test_making_another_email_primary_counts(office):
    with time_machine.travel(NOW - 200 * DAY, tick=False):
        customer = complete_customer(office, emails=2)
    with time_machine.travel(NOW - 4 * DAY, tick=False):
        old, new = customer.emails.get(is_primary=True), customer.emails.get(is_primary=False)
        old.is_primary = False
        old.save()
        new.is_primary = True
        new.save()
    assessment = assess(make_ticket(office, customer=customer, items=[NEW_ADDRESS], created_at=NOW))
    assert "recent_contact_change" in rules(assessment)


def test_a_contact_ticket_applied_by_the_desk_last_week_counts(office, grace):
    earlier = make_ticket(office, customer=grace, items=[NEW_EMAIL], created_at=NOW - 8 * DAY)
    TicketEvent.objects.create(
        ticket=earlier, at=NOW - 7 * DAY, kind="transition", to_state=State.APPLIED
    )
    assessment = assess(make_ticket(office, customer=grace, items=[NEW_ADDRESS], created_at=NOW))
    assert "recent_contact_change" in rules(assessment)


def test_an_applied_ticket_that_changed_no_contact_does_not_count(office, grace):
    earlier = make_ticket(
        office, customer=grace, items=[("preferences", "preferences.marketing_email", "true")]
    )
    TicketEvent.objects.create(
        ticket=earlier, at=NOW - 7 * DAY, kind="transition", to_state=State.APPLIED
    )
    assessment = assess(make_ticket(office, customer=grace, items=[NEW_ADDRESS], created_at=NOW))
    assert "recent_contact_change" not in rules(assessment)


# -- contact and billing together ------------------------------------------------------


def test_contact_and_billing_in_one_ticket_is_the_account_takeover_pattern(office, grace):
    items = [NEW_ADDRESS, CARD_ITEM]
    assessment = assess(make_ticket(office, customer=grace, items=items, created_at=NOW))
    assert rules(assessment) == {"contact_and_billing": 40}
    assert "account takeover" in assessment.reasons[0].reason


def test_an_email_and_a_card_in_one_ticket_is_the_takeover_sequence_and_scores_high(office, grace):
    items = [NEW_EMAIL, CARD_ITEM]
    assessment = assess(make_ticket(office, customer=grace, items=items, created_at=NOW))
    # One rule for one fact: the sequence, not the sequence and the same-ticket pattern.
    assert rules(assessment) == {"takeover_sequence": 50}
    assert assessment.level == "high"


def test_contact_changes_alone_are_not_the_takeover_pattern(office, grace):
    items = [NEW_EMAIL, NEW_ADDRESS]
    assessment = assess(make_ticket(office, customer=grace, items=items, created_at=NOW))
    assert "contact_and_billing" not in rules(assessment)


# -- failed verification --------------------------------------------------------------


def _failed_verification(client, customer, when):
    ticket = make_ticket(client, customer=customer, items=[NEW_EMAIL], created_at=when)
    TicketEvent.objects.create(
        ticket=ticket,
        at=when,
        kind="transition",
        from_state=State.VERIFYING,
        to_state=State.VERIFICATION_FAILED,
    )


def test_each_failed_verification_this_month_adds_points(office, grace):
    _failed_verification(office, grace, NOW - 2 * DAY)
    _failed_verification(office, grace, NOW - 20 * DAY)
    _failed_verification(office, grace, NOW - 40 * DAY)  # too old
    assessment = assess(make_ticket(office, customer=grace, items=[NEW_ADDRESS], created_at=NOW))
    assert rules(assessment) == {"failed_verification": 30}
    assert assessment.reasons[0].reason == ("2 failed identity verifications in the last 30 days.")


def test_failed_verifications_stop_adding_points_after_three(office, grace):
    for days in range(1, 6):
        _failed_verification(office, grace, NOW - days * DAY)
    assessment = assess(make_ticket(office, customer=grace, items=[NEW_ADDRESS], created_at=NOW))
    assert rules(assessment) == {"failed_verification": 45}
    assert assessment.reasons[0].reason.startswith("5 failed")


def test_another_customers_failed_verifications_do_not_count(office, grace):
    with time_machine.travel(NOW - 200 * DAY, tick=False):
        other = complete_customer(office)
    _failed_verification(office, other, NOW - DAY)
    assessment = assess(make_ticket(office, customer=grace, items=[NEW_ADDRESS], created_at=NOW))
    assert "failed_verification" not in rules(assessment)


# -- the new value belongs to another customer ----------------------------------------


@pytest.fixture
def someone_else(office):
    with time_machine.travel(NOW - 300 * DAY, tick=False):
        other = complete_customer(office, legal_name="Alan Turing")
        EmailAddressFactory(customer=other, is_primary=False, email="shared@example.com")
        PhoneNumberFactory(customer=other, is_primary=False, number="+447700900555")
    return other


def test_an_email_already_on_another_customer_of_the_client_adds_points(
    office, grace, someone_else
):
    items = [("contact", "emailaddress.email", "Shared@Example.com")]
    assessment = assess(make_ticket(office, customer=grace, items=items, created_at=NOW))
    assert rules(assessment) == {"value_of_another_customer": 30}
    reason = assessment.reasons[0].reason
    assert "e-mail address" in reason
    assert "shared@example.com" not in reason.lower()  # no other customer's data on show


def test_a_phone_already_on_another_customer_of_the_client_adds_points(office, grace, someone_else):
    items = [("contact", "phonenumber.number", "+447700900555")]
    assessment = assess(make_ticket(office, customer=grace, items=items, created_at=NOW))
    assert rules(assessment) == {"value_of_another_customer": 30}
    assert "phone number" in assessment.reasons[0].reason


def test_the_same_email_at_another_client_is_no_concern(office, grace):
    elsewhere = ClientFactory(slug="elsewhere")
    EmailAddressFactory(customer__client=elsewhere, email="shared@example.com")
    items = [("contact", "emailaddress.email", "shared@example.com")]
    assessment = assess(make_ticket(office, customer=grace, items=items, created_at=NOW))
    assert "value_of_another_customer" not in rules(assessment)


def test_a_value_the_customer_already_has_is_no_concern(office, grace):
    own = grace.emails.get().email
    items = [("contact", "emailaddress.email", own)]
    assessment = assess(make_ticket(office, customer=grace, items=items, created_at=NOW))
    assert "value_of_another_customer" not in rules(assessment)


def _vaulted(token) -> str:
    """What intake stores as a billing item's new value: the vault's answer as JSON."""
    return json.dumps({"token": token.token, "fingerprint": token.fingerprint})


def test_a_card_already_on_another_customer_adds_points(office, grace, someone_else):
    card = "4012 8888 8888 1881"
    card_on_file(someone_else, card, exp_month=1, holder_name="ALAN TURING")
    requested = LocalVault().tokenize_card(card)  # a new token, the same card
    items = [("billing", "paymentcard.vault_token", _vaulted(requested))]
    assessment = assess(make_ticket(office, customer=grace, items=items, created_at=NOW))
    assert rules(assessment) == {"value_of_another_customer": 30}
    assert "payment card" in assessment.reasons[0].reason


def test_a_bank_account_already_on_another_customer_adds_points(office, grace, someone_else):
    BankAccountFactory(customer=someone_else, iban="DE89370400440532013000")
    requested = LocalVault().tokenize_iban("DE89 3704 0044 0532 0130 00")
    items = [("billing", "bankaccount.vault_token", _vaulted(requested))]
    assessment = assess(make_ticket(office, customer=grace, items=items, created_at=NOW))
    assert rules(assessment) == {"value_of_another_customer": 30}
    assert "bank account" in assessment.reasons[0].reason


class FingerprintingVault(LocalVault):
    """The local vault, able to tell the fingerprint of a token it issued."""

    def fingerprint_of(self, token: str) -> str | None:
        return VaultedIban.objects.filter(token=token).values_list("fingerprint", flat=True).first()


def test_a_bare_token_is_compared_when_the_vault_can_tell_its_fingerprint(
    office, grace, someone_else, settings
):
    settings.VAULT_BACKEND = f"{__name__}.FingerprintingVault"
    BankAccountFactory(customer=someone_else, iban="DE89370400440532013000")
    token = LocalVault().tokenize_iban("DE89370400440532013000").token
    items = [("billing", "bankaccount.vault_token", token)]
    assessment = assess(make_ticket(office, customer=grace, items=items, created_at=NOW))
    assert "value_of_another_customer" in rules(assessment)


def test_a_bare_token_is_skipped_when_the_vault_cannot_tell_its_fingerprint(
    office, grace, someone_else
):
    BankAccountFactory(customer=someone_else, iban="DE89370400440532013000")
    token = LocalVault().tokenize_iban("DE89370400440532013000").token
    items = [("billing", "bankaccount.vault_token", token)]
    assessment = assess(make_ticket(office, customer=grace, items=items, created_at=NOW))
    assert "value_of_another_customer" not in rules(assessment)


# -- outside business hours -----------------------------------------------------------


def test_a_request_on_a_saturday_is_outside_business_hours(office, grace):
    saturday = at(LONDON, "2026-06-06 11:15")
    ticket = make_ticket(office, customer=grace, items=[NEW_ADDRESS], created_at=saturday)
    assessment = assess(ticket, now=saturday)
    assert rules(assessment) == {"outside_business_hours": 10}
    assert assessment.reasons[0].reason == (
        "Requested outside the client's business hours (Saturday 11:15, Europe/London time)."
    )


def test_business_hours_are_the_clients_local_hours(office, grace):
    # 07:30 UTC in June is 08:30 in London: open.
    morning = dt.datetime(2026, 6, 2, 7, 30, tzinfo=dt.UTC)
    ticket = make_ticket(office, customer=grace, items=[NEW_ADDRESS], created_at=morning)
    assert "outside_business_hours" not in rules(assess(ticket, now=morning))


def test_a_request_on_a_holiday_is_outside_business_hours(office, grace):
    holiday(office, "2026-06-02", "Founders' Day")
    ticket = make_ticket(office, customer=grace, items=[NEW_ADDRESS], created_at=NOW)
    assert "outside_business_hours" in rules(assess(ticket))


def test_a_round_the_clock_client_is_never_outside_its_hours(northwind):
    with time_machine.travel(NOW - 200 * DAY, tick=False):
        customer = complete_customer(northwind)
    night = at(LONDON, "2026-06-07 03:00")
    ticket = make_ticket(northwind, customer=customer, items=[NEW_ADDRESS], created_at=night)
    assert "outside_business_hours" not in rules(assess(ticket, now=night))


# -- together -------------------------------------------------------------------------


def test_a_takeover_pattern_after_a_recent_contact_change_is_high_risk(office, grace):
    email = grace.emails.get()
    with time_machine.travel(NOW - 3 * DAY, tick=False):
        email.email = "attacker@example.net"
        email.save()
    items = [("contact", "phonenumber.number", "+447700900123"), CARD_ITEM]
    assessment = assess(make_ticket(office, customer=grace, items=items, created_at=NOW))
    assert rules(assessment) == {"recent_contact_change": 25, "takeover_sequence": 50}
    assert (assessment.score, assessment.level) == (75, "high")


def test_the_number_of_queries_does_not_grow_with_the_items(office, grace, someone_else):
    few = make_ticket(
        office,
        customer=grace,
        items=[NEW_EMAIL, ("contact", "phonenumber.number", "+447700900100")],
        created_at=NOW,
    )
    many = make_ticket(
        office,
        customer=grace,
        items=[("contact", "emailaddress.email", f"grace{i}@example.com") for i in range(10)]
        + [("contact", "phonenumber.number", f"+4477009001{i:02d}") for i in range(10)],
        created_at=NOW,
    )
    counts = []
    for ticket in (few, many):
        ticket.refresh_from_db()
        ticket.customer, ticket.client  # noqa: B018  (loaded as ticket_create has them)
        with CaptureQueriesContext(connection) as queries:
            assess(ticket)
        counts.append(len(queries))
    # items, e-mail history, phone history, applied contact tickets, the takeover window,
    # the customer's other takeover steps, failed verifications, e-mails of other
    # customers, phones of other customers, the ticket's documents, business hours,
    # holidays; the ticket's identity-provider checks (profiledesk.idv's registered rule).
    assert counts == [counts[0], counts[0]]
    assert counts[0] == 13


def test_ticket_create_stores_the_reasons_on_the_ticket(office, grace, agent):
    grace.is_flagged, grace.flag_reason = True, "Chargeback dispute"
    grace.save(update_fields=["is_flagged", "flag_reason"])
    saturday = at(LONDON, "2026-06-06 11:15")
    with time_machine.travel(saturday, tick=False):
        ticket = ticket_create(
            client=office,
            channel="phone",
            category="contact",
            customer=grace,
            by=agent,
            items=[
                ItemDraft(
                    "contact", "postaladdress.line1", "Address line 1", "1 Main St", "1 Main St"
                )
            ],
        )
    ticket.refresh_from_db()
    assert (ticket.risk_score, ticket.risk_level) == (50, "high")
    assert [r["rule"] for r in ticket.risk_reasons] == [
        "customer_flagged",
        "outside_business_hours",
    ]
    assert ticket.risk_reasons[0] == {
        "rule": "customer_flagged",
        "points": 40,
        "reason": "The customer is flagged: Chargeback dispute",
    }


def test_risk_refresh_stores_what_changed_since_intake(office, grace):
    ticket = make_ticket(office, customer=grace, items=[NEW_ADDRESS], created_at=NOW)
    _failed_verification(office, grace, NOW)
    with time_machine.travel(NOW, tick=False):
        risk_refresh(ticket=ticket)
    ticket.refresh_from_db()
    assert (ticket.risk_score, ticket.risk_level) == (15, "low")
    latest = ticket.history.order_by("-history_id").first()
    assert latest.history_change_reason == "risk re-assessed"


def test_risk_refresh_writes_nothing_when_nothing_changed(office, grace):
    ticket = make_ticket(office, customer=grace, items=[NEW_ADDRESS], created_at=NOW)
    versions = ticket.history.count()
    with time_machine.travel(NOW, tick=False):
        risk_refresh(ticket=ticket)
    assert ticket.history.count() == versions


def test_an_email_is_matched_whatever_its_case(office, grace, someone_else):
    assert EmailAddress.objects.filter(email="shared@example.com").exists()
    items = [("contact", "emailaddress.email", "SHARED@EXAMPLE.COM")]
    assessment = assess(make_ticket(office, customer=grace, items=items, created_at=NOW))
    assert "value_of_another_customer" in rules(assessment)
