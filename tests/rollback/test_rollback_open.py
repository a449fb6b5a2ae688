"""rollback_open: a new ticket pre-filled with the reverse diff, linked to the original,
with the reason on its timeline and in the audit trail (no values); refusals write
nothing."""

import json

import pytest

from audit.models import AuditEvent
from profiledesk.rollback.models import RollbackRequest, is_rollback_ticket
from profiledesk.rollback.services import RollbackError, rollback_open
from profiledesk.tickets.models import Channel, State, Ticket, TicketEvent
from tests.factories import card_on_file

from .helpers import CARD, applied

pytestmark = pytest.mark.usefixtures("clock")

REASON = "Customer says the new card was never theirs"


@pytest.fixture
def card_change(customer, personas):
    card = card_on_file(customer, "4111111111111111", is_default=True)
    return applied(customer, personas, "billing", {**CARD, "card_target": card.pk})


def test_a_rollback_ticket_is_opened_for_the_same_customer_and_category(
    card_change, personas, customer
):
    rollback = rollback_open(by=personas["compliance"], ticket=card_change, reason=REASON)
    assert (rollback.client, rollback.customer, rollback.category) == (
        card_change.client,
        customer,
        "billing",
    )
    assert rollback.channel == Channel.INTERNAL and rollback.state == State.NEW
    assert rollback.rollback_of == card_change
    assert rollback.created_by == personas["compliance"]
    assert rollback.summary == f"Rollback of {card_change.reference}"
    fields = set(rollback.items.values_list("field", flat=True))
    assert "paymentcard.vault_token" in fields
    comment = rollback.events.get(kind=TicketEvent.Kind.COMMENT)
    assert REASON in comment.message and card_change.reference in comment.message
    request = RollbackRequest.objects.get(ticket=rollback)
    assert (request.source_ticket, request.reason) == (card_change, REASON)


def test_the_rollback_ticket_and_only_it_is_a_rollback(
    card_change, personas, django_assert_num_queries
):
    rollback = rollback_open(by=personas["compliance"], ticket=card_change, reason=REASON)
    with django_assert_num_queries(0):  # the property, and the helper for any other ticket
        assert rollback.is_rollback and not card_change.is_rollback
        assert not is_rollback_ticket(card_change)
    assert is_rollback_ticket(rollback)  # one query: its RollbackRequest row
    # A Back office ticket without the row rollback_open writes is not waived or restored.
    RollbackRequest.objects.filter(ticket=rollback).delete()
    assert rollback.is_rollback and not is_rollback_ticket(rollback)


def test_the_audit_event_names_the_tickets_and_no_value(card_change, personas):
    rollback = rollback_open(by=personas["compliance"], ticket=card_change, reason=REASON)
    event = AuditEvent.objects.get(action="rollback.requested")
    assert event.actor == personas["compliance"]
    assert event.data["reference"] == rollback.reference
    assert event.data["rollback_of"] == card_change.reference
    dumped = json.dumps(event.data)
    assert "tok_" not in dumped and "4111" not in dumped and REASON not in dumped


def test_the_original_is_not_edited_in_place(card_change, personas, customer):
    card = customer.cards.get()
    rollback_open(by=personas["compliance"], ticket=card_change, reason=REASON)
    card_change.refresh_from_db()
    assert card_change.state == State.APPLIED
    assert customer.cards.get().vault_token == card.vault_token  # still the new card


@pytest.mark.parametrize(
    "who, reason, message",
    [
        ("agent", REASON, "Your role cannot request a rollback"),
        ("supervisor", REASON, "Your role cannot request a rollback"),
        ("compliance", "   ", "Give the reason"),
    ],
)
def test_refusals_write_nothing(card_change, personas, who, reason, message):
    tickets, events = Ticket.objects.count(), AuditEvent.objects.count()
    with pytest.raises(RollbackError, match=message):
        rollback_open(by=personas[who], ticket=card_change, reason=reason)
    assert (Ticket.objects.count(), AuditEvent.objects.count()) == (tickets, events)


def test_a_second_rollback_waits_for_the_first(card_change, personas):
    first = rollback_open(by=personas["compliance"], ticket=card_change, reason=REASON)
    with pytest.raises(RollbackError, match=f"{first.reference} already rolls this ticket back"):
        rollback_open(by=personas["compliance"], ticket=card_change, reason=REASON)


def test_a_ticket_that_is_not_applied_cannot_be_rolled_back(customer, personas):
    from tests.apply.helpers import ready

    ticket = ready(customer, personas["agent"], "personal", {"preferred_name": "G"})
    with pytest.raises(RollbackError, match="Only an applied or closed ticket"):
        rollback_open(by=personas["compliance"], ticket=ticket, reason=REASON)
    assert not Ticket.objects.filter(rollback_of=ticket).exists()


def test_nothing_to_restore_is_a_clear_refusal(customer, personas):
    ticket = applied(customer, personas, "security", {"password_reset": True})
    count = Ticket.objects.count()
    with pytest.raises(RollbackError, match="cannot be undone"):
        rollback_open(by=personas["compliance"], ticket=ticket, reason=REASON)
    assert Ticket.objects.count() == count


def test_a_past_version_opens_a_rollback_ticket_that_names_it(customer, personas):
    version = customer.personal.history.latest()
    applied(customer, personas, "personal", {"preferred_name": "Amazing Grace"})
    rollback = rollback_open(by=personas["compliance"], version=version, reason=REASON)
    assert rollback.rollback_of is None  # the version was written by no ticket
    assert rollback.category == "personal"
    request = RollbackRequest.objects.get(ticket=rollback)
    assert (request.model_label, request.history_id, request.object_id) == (
        "customers.personaldetails",
        version.history_id,
        customer.personal.pk,
    )
    comment = rollback.events.get(kind=TicketEvent.Kind.COMMENT).message
    assert f"version {version.history_id}" in comment and REASON in comment
