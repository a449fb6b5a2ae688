"""ticket_apply re-checks everything under the ticket's lock and writes all or nothing:
refused for a frozen profile, in cooling-off, with void approvals or in the wrong state;
a failing item or a failing outbox leaves profile, ticket and outboxes untouched; two
presses at once apply once."""

import threading
import time

import pytest
from django.db import connection

from audit.models import AuditEvent
from profiledesk.accounts.naming import staff_name
from profiledesk.apply import services
from profiledesk.apply.services import ApplyError, ticket_apply
from profiledesk.approvals.services import approvals_void
from profiledesk.connectors.models import Delivery
from profiledesk.customers import models as m
from profiledesk.customers.services import customer_freeze
from profiledesk.messaging.models import Message
from profiledesk.tickets.models import ChangeItem, State, Ticket, TicketEvent
from profiledesk.tickets.services import ItemDraft
from profiledesk.tickets.states import TransitionError
from tests.factories import claimed

from .helpers import applicable, prove_contacts, ready

pytestmark = pytest.mark.usefixtures("clock")


def snapshot(customer) -> dict:
    """Everything an application writes, counted."""
    return {
        "tickets applied": Ticket.objects.filter(state=State.APPLIED).count(),
        "events": TicketEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
        "messages": Message.objects.count(),
        "deliveries": Delivery.objects.count(),
        "history": sum(model.history.count() for model in m.PROFILE_MODELS),
    }


def holder_item(customer) -> list[ItemDraft]:
    return [
        ItemDraft(
            section="billing",
            field="bankaccount.account_holder",
            label="Account holder",
            new_value="G HOPPER",
            new_display="G HOPPER",
            target_id=customer.bank_accounts.get().pk,
        )
    ]


def test_a_frozen_profile_is_not_applied(customer, personas):
    ticket = applicable(customer, personas, "preferences", {"marketing_email": True})
    customer_freeze(customer=customer, by=personas["security"], reason="Takeover suspected")
    with pytest.raises(ApplyError, match="frozen"):
        ticket_apply(ticket=ticket, by=personas["agent"])
    ticket.refresh_from_db()
    assert ticket.state == State.READY
    assert m.Preferences.objects.get(customer=customer).marketing_email is False


def test_a_billing_change_waits_out_the_cooling_off_after_a_contact_change(customer, personas):
    billing = applicable(customer, personas, "billing", items=holder_item(customer), level=2)
    assert billing.state == State.APPROVED
    contact = applicable(customer, personas, "contact", {"email": "grace@navy.example"})
    ticket_apply(ticket=contact, by=personas["agent"])
    # Approved before the e-mail changed: the takeover sequence re-scores it under the
    # lock, its approval no longer holds, and the cooling-off holds it back anyway.
    with pytest.raises(ApplyError, match="risk rose to high after it was approved"):
        ticket_apply(ticket=billing, by=personas["agent"])
    billing.refresh_from_db()
    assert (billing.state, billing.risk_level) == (State.READY, "high")
    with pytest.raises(ApplyError, match="risk rose to high: submit it for approval"):
        ticket_apply(ticket=billing, by=personas["agent"])
    assert customer.bank_accounts.get().account_holder != "G HOPPER"


def test_an_item_edited_after_approval_voids_the_application(customer, personas):
    ticket = applicable(customer, personas, "organisation", {"business_name": "Hopper Ltd"})
    assert ticket.state == State.APPROVED
    item = ticket.items.get(field="organisation.business_name")
    item.new_value = "Someone Else Ltd"
    item.save()  # edited without voiding: the diff no longer matches what was signed
    with pytest.raises(ApplyError, match="edited after it was approved"):
        ticket_apply(ticket=ticket, by=personas["agent"])
    approvals_void(ticket=ticket, reason="edited")
    ticket.refresh_from_db()
    assert ticket.state == State.READY
    with pytest.raises(ApplyError, match="needs approval"):
        ticket_apply(ticket=ticket, by=personas["agent"])
    assert not m.Organisation.objects.filter(customer=customer).exists()


def test_a_ticket_that_needs_approval_is_not_applied_from_ready(customer, personas):
    ticket = ready(customer, personas["agent"], "billing", items=holder_item(customer))
    with pytest.raises(ApplyError, match="needs approval"):
        ticket_apply(ticket=ticket, by=personas["agent"])


@pytest.mark.parametrize("role", ["compliance", "security"])
def test_only_the_floor_applies(customer, personas, role):
    ticket = applicable(customer, personas, "preferences", {"marketing_email": True})
    # Even holding the ticket (claims are for the floor's work), the role refuses.
    with pytest.raises(TransitionError, match="role"):
        ticket_apply(ticket=claimed(ticket, personas[role]), by=personas[role])
    assert m.Preferences.objects.get(customer=customer).marketing_email is False


def test_an_applied_ticket_is_not_applied_again(customer, personas):
    ticket = applicable(customer, personas, "preferences", {"marketing_email": True})
    ticket_apply(ticket=ticket, by=personas["agent"])
    with pytest.raises(ApplyError, match="Applied"):
        ticket_apply(ticket=ticket, by=personas["agent"])
    assert TicketEvent.objects.filter(ticket=ticket, to_state=State.APPLIED).count() == 1


def test_a_failing_item_leaves_everything_untouched(customer, personas):
    primary = customer.emails.get(is_primary=True)
    ticket = applicable(
        customer, personas, "contact", {"email": "grace@navy.example", "email_target": primary.pk}
    )
    # A second item whose row has gone since it was captured: written after the first.
    ChangeItem.objects.create(
        ticket=ticket,
        position=9,
        section="contact",
        field="phonenumber.number",
        target_id=999_999,
        label="Phone",
        new_value="+447700900123",
        new_display="•••123",
    )
    prove_contacts(ticket, personas["agent"])  # its verification holds: only the row fails
    before = snapshot(customer)
    with pytest.raises(ApplyError, match="no longer on the profile"):
        ticket_apply(ticket=ticket, by=personas["agent"])
    assert snapshot(customer) == before
    primary.refresh_from_db()
    assert primary.email != "grace@navy.example"
    ticket.refresh_from_db()
    assert ticket.state == State.READY


def test_an_unknown_field_is_refused_before_anything_is_written(customer, personas):
    ticket = applicable(customer, personas, "preferences", {"marketing_email": True})
    ChangeItem.objects.create(
        ticket=ticket,
        position=9,
        section="preferences",
        field="preferences.colour",
        label="Colour",
        new_value="blue",
    )
    before = snapshot(customer)
    with pytest.raises(ApplyError, match="not a field the desk can change"):
        ticket_apply(ticket=ticket, by=personas["agent"])
    assert snapshot(customer) == before


def test_a_failing_outbox_leaves_profile_and_ticket_untouched(customer, personas, monkeypatch):
    ticket = applicable(customer, personas, "preferences", {"marketing_email": True})

    def broken(*, ticket, event):
        raise RuntimeError("connector outbox unavailable")

    monkeypatch.setattr(services, "_deliveries_create", broken)
    before = snapshot(customer)
    with pytest.raises(RuntimeError):
        ticket_apply(ticket=ticket, by=personas["agent"])
    assert snapshot(customer) == before
    ticket.refresh_from_db()
    assert ticket.state == State.READY
    assert m.Preferences.objects.get(customer=customer).marketing_email is False


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_presses_at_once_apply_once(monkeypatch, customer, personas):
    ticket = applicable(customer, personas, "preferences", {"marketing_email": True})
    original = services._profile_write

    def slow_write(**kwargs):
        time.sleep(0.3)  # hold the ticket's row lock while the other press arrives
        return original(**kwargs)

    monkeypatch.setattr(services, "_profile_write", slow_write)
    # This test commits: outbox rows would queue real tasks on the shared test broker,
    # where a later test's worker would pick them up. The outboxes are tested elsewhere.
    monkeypatch.setattr(services, "_deliveries_create", lambda **kwargs: [])
    monkeypatch.setattr(services, "_confirmations_create", lambda **kwargs: [])
    barrier = threading.Barrier(3)
    outcomes: list[str] = []

    def press(user):
        barrier.wait()
        try:
            ticket_apply(ticket=Ticket.objects.get(pk=ticket.pk), by=user)
            outcomes.append("applied")
        except (ApplyError, TransitionError) as error:
            outcomes.append(str(error))
        finally:
            connection.close()

    # Only the one holding the claim applies: two of their presses at once (a double
    # click, two tabs) race on the row lock, and the one that waited finds it applied;
    # a supervisor pressing meanwhile without taking the ticket over is refused.
    agent = personas["agent"]
    assert ticket.assignee == agent
    presses = (agent, agent, personas["supervisor"])
    threads = [threading.Thread(target=press, args=(user,)) for user in presses]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("applied") == 1, outcomes
    refusals = sorted(outcome for outcome in outcomes if outcome != "applied")
    # The press that waited on the lock saw the ticket applied (closed at once when there
    # is nobody to confirm to); the supervisor's was refused on the claim.
    assert len(refusals) == 2
    assert refusals[0].startswith("A ticket that is") and "cannot be applied" in refusals[0]
    assert refusals[1] == f"Claim this ticket first — it is assigned to {staff_name(agent)}."
    assert TicketEvent.objects.filter(ticket=ticket, to_state=State.APPLIED).count() == 1
    reason = f"{ticket.reference} applied"
    assert m.Preferences.history.filter(history_change_reason=reason).count() == 1
    assert AuditEvent.objects.filter(action="ticket.applied").count() == 1


def test_a_second_press_does_not_re_score_an_applied_ticket(customer, personas):
    ticket = applicable(customer, personas, "preferences", {"marketing_email": True})
    ticket_apply(ticket=ticket, by=personas["agent"])
    ticket.refresh_from_db()
    scored = (ticket.risk_level, ticket.risk_score, ticket.risk_reasons)
    customer.is_flagged, customer.flag_reason = True, "Chargeback"
    customer.save(update_fields=["is_flagged", "flag_reason"])
    with pytest.raises((ApplyError, TransitionError)):
        ticket_apply(ticket=ticket, by=personas["agent"])
    ticket.refresh_from_db()
    # The score it was applied at stays the record.
    assert (ticket.risk_level, ticket.risk_score, ticket.risk_reasons) == scored


def test_a_flag_raised_after_a_ready_ticket_was_scored_is_seen_at_apply(customer, personas):
    ticket = applicable(customer, personas, "preferences", {"marketing_email": True})
    assert ticket.state == State.READY and ticket.risk_level == "low"
    customer.is_flagged, customer.flag_reason = True, "Chargeback"
    customer.save(update_fields=["is_flagged", "flag_reason"])
    ticket_apply(ticket=ticket, by=personas["agent"])  # medium: still no approval needed
    ticket.refresh_from_db()
    assert ticket.risk_score == 40 and "flagged" in ticket.risk_reasons[0]["reason"]
