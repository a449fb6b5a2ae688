"""A rollback ticket goes the whole way like any change: waiver, approvals by the policy
(maker ≠ checker), apply — and the original becomes rolled_back in the same
transaction; propagation and confirmations are queued as for any ticket."""

import io
import json

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from profiledesk.apply.services import ApplyError
from profiledesk.approvals.rules import checker_problem, makers_of, plan_for
from profiledesk.confirmations.models import Confirmation
from profiledesk.confirmations.services import ticket_close_if_done
from profiledesk.connectors.models import Delivery, Kind
from profiledesk.rollback.services import rollback_open
from profiledesk.tickets.models import State, TicketEvent
from profiledesk.tickets.states import TransitionError, transition
from tests.conftest import make_staff
from tests.connectors.helpers import connector_for
from tests.factories import card_on_file, claimed

from .helpers import CARD, applied, through_the_floor

pytestmark = pytest.mark.usefixtures("clock")


def test_a_card_rollback_restores_the_earlier_token_and_marks_the_original(
    customer, personas, northwind
):
    connector_for(
        northwind, url="https://billing.example/hook", kind=Kind.BILLING, categories=["billing"]
    )
    card = card_on_file(customer, "4111111111111111", is_default=True)
    earlier = (card.vault_token, card.fingerprint, card.bin, card.last4)
    original = applied(customer, personas, "billing", {**CARD, "card_target": card.pk})
    rollback = rollback_open(
        by=personas["compliance"], ticket=original, reason="Card change was a mistake"
    )
    assert plan_for(rollback).tiers == 1  # billing: a supervisor, as for any card change

    through_the_floor(rollback, personas)

    assert rollback.state == State.APPLIED
    card.refresh_from_db()
    assert (card.vault_token, card.fingerprint, card.bin, card.last4) == earlier
    assert (card.exp_year, card.holder_name) == (2030, "A CUSTOMER")
    assert card.history.first().history_change_reason == f"{rollback.reference} applied"
    original.refresh_from_db()
    assert original.state == State.ROLLED_BACK
    move = TicketEvent.objects.get(ticket=original, to_state=State.ROLLED_BACK)
    assert rollback.reference in move.message and move.actor == personas["agent"]
    assert AuditEvent.objects.filter(action="rollback.applied").count() == 1
    # Propagation and confirmations, as for any change.
    assert Delivery.objects.filter(ticket=rollback).count() == 1
    assert Confirmation.objects.filter(ticket=rollback).exists()
    event = Delivery.objects.get(ticket=rollback).event
    assert "4111111111111111" not in json.dumps(event)


def test_no_card_number_is_anywhere_after_a_card_rollback(customer, personas):
    card = card_on_file(customer, "4111111111111111", is_default=True)
    original = applied(customer, personas, "billing", {**CARD, "card_target": card.pk})
    rollback = rollback_open(by=personas["compliance"], ticket=original, reason="Mistake")
    through_the_floor(rollback, personas)
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    for number in ("4111111111111111", "5555555555554444", "4111 1111 1111 1111"):
        assert number not in dump.getvalue()


def test_an_iban_rollback_restores_the_earlier_token(customer, personas):
    bank = customer.bank_accounts.get()
    earlier = (bank.vault_token, bank.iban_masked)
    original = applied(
        customer, personas, "billing", {"iban": "DE89370400440532013000", "bank_target": bank.pk}
    )
    rollback = rollback_open(by=personas["compliance"], ticket=original, reason="Wrong IBAN")
    through_the_floor(rollback, personas)
    bank.refresh_from_db()
    assert (bank.vault_token, bank.iban_masked) == earlier


def test_the_original_stays_rolled_back_when_its_confirmations_finish(customer, personas):
    original = applied(customer, personas, "preferences", {"marketing_email": True})
    assert original.state == State.APPLIED  # waiting for its confirmation
    rollback = rollback_open(by=personas["compliance"], ticket=original, reason="Not asked for")
    through_the_floor(rollback, personas)
    original.refresh_from_db()
    assert original.state == State.ROLLED_BACK
    assert ticket_close_if_done(ticket=original) is False
    original.refresh_from_db()
    assert original.state == State.ROLLED_BACK
    assert customer.preferences.__class__.objects.get(customer=customer).marketing_email is False


def test_a_closed_ticket_can_be_rolled_back_and_the_rollback_closes_itself(northwind, personas):
    from tests.factories import complete_customer

    quiet = complete_customer(northwind, emails=0, phones=0)  # nobody to tell: closes at once
    original = applied(quiet, personas, "preferences", {"marketing_email": True})
    assert original.state == State.CLOSED
    rollback = rollback_open(by=personas["compliance"], ticket=original, reason="Not asked for")
    through_the_floor(rollback, personas)
    original.refresh_from_db()
    assert (original.state, rollback.state) == (State.ROLLED_BACK, State.CLOSED)


def test_the_compliance_officer_who_opened_or_waived_it_cannot_approve_it(
    customer, personas, northwind
):
    from profiledesk.customers.models import Organisation

    Organisation.objects.create(customer=customer, business_name="Hopper Ltd")
    original = applied(
        customer, personas, "organisation", {"business_name": "Hopper Computing Ltd"}
    )
    rollback = rollback_open(by=personas["compliance"], ticket=original, reason="Wrong company")
    other = make_staff("compliance2", "compliance", northwind)
    claimed(rollback, personas["agent"])
    transition(ticket=rollback, to=State.VERIFYING, by=personas["agent"])
    from verification.waivers import verification_waive

    verification_waive(ticket=rollback, by=other, reason="Customer not reachable")
    makers = makers_of(rollback)
    assert {personas["compliance"].pk, other.pk} <= makers
    for officer in (personas["compliance"], other):
        problem = checker_problem(
            ticket=rollback, user=officer, tier=2, makers=makers, decided=set()
        )
        assert "someone else must approve" in problem


def test_nobody_can_mark_a_ticket_rolled_back_by_hand(customer, personas):
    original = applied(customer, personas, "preferences", {"marketing_email": True})
    for who in ("agent", "supervisor", "compliance"):
        with pytest.raises(TransitionError, match="rollback ticket is applied"):
            transition(ticket=original, to=State.ROLLED_BACK, by=personas[who])


def test_a_failed_rollback_apply_leaves_the_original_as_it_was(customer, personas):
    original = applied(customer, personas, "preferences", {"marketing_email": True})
    rollback = rollback_open(by=personas["compliance"], ticket=original, reason="Not asked for")
    item = rollback.items.get()
    item.new_value = "perhaps"  # not a boolean: the profile refuses it
    item.save()
    with pytest.raises(ApplyError):
        through_the_floor(rollback, personas)
    original.refresh_from_db()
    rollback.refresh_from_db()
    # The waived rollback was approved (a waiver always needs one), then refused by the profile.
    assert (original.state, rollback.state) == (State.APPLIED, State.APPROVED)
