"""Tickets captured, verified, approved and edited the way the desk does it."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from profiledesk.approvals.services import approval_grant, approval_submit
from profiledesk.editing.services import edit_stamp, ticket_change_edit
from profiledesk.intake.capture import drafts_for
from profiledesk.intake.forms import form_for
from profiledesk.tickets.models import State, Ticket
from profiledesk.tickets.states import transition
from tests.approvals.helpers import verify
from tests.factories import TicketFactory
from verification.models import Attempt, Method, OtpChallenge, OtpChannel, Purpose, Result
from verification.services import verification_complete

# A Wednesday morning, inside the default business hours (no off-hours risk points).
WEDNESDAY = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)

NEW_IBAN = "DE89370400440532013000"
BILLING = {"iban": NEW_IBAN, "account_holder": "Grace Hopper"}
ADDRESS = {
    "address_line1": "1 New Street",
    "address_city": "Leeds",
    "address_postal_code": "LS1 4AP",
    "address_country": "GB",
}


def captured(customer, agent, *, category: str = "contact", data=None) -> Ticket:
    """A phone ticket the agent opened and works (assigned to them, as claimed)."""
    ticket = TicketFactory(customer=customer, created_by=agent, category=category, data=data)
    ticket.assignee = agent
    ticket.save(update_fields=["assignee"])
    return ticket


def prove_new_contacts(ticket: Ticket, by) -> None:
    """Each new e-mail or phone of the ticket proven by its own code (dual confirmation)."""
    now = timezone.now()
    for item in ticket.items.filter(field__in=["emailaddress.email", "phonenumber.number"]):
        challenge = OtpChallenge.objects.create(
            ticket=ticket,
            customer=ticket.customer,
            purpose=Purpose.NEW_CONTACT,
            channel=OtpChannel.EMAIL if item.field.startswith("email") else OtpChannel.SMS,
            change_item=item,
            new_value=item.new_value,
            destination=f"new:{item.new_value}",
            code_hash="x",
            sent_by=by,
            created_at=now,
            expires_at=now + dt.timedelta(minutes=10),
            used_at=now,
        )
        Attempt.objects.create(
            ticket=ticket,
            customer=ticket.customer,
            method=Method.OTP,
            purpose=Purpose.NEW_CONTACT,
            result=Result.PASSED,
            staff=by,
            at=now,
            challenge=challenge,
        )


def to_ready(ticket: Ticket, agent, *, level: int = 2) -> Ticket:
    transition(ticket=ticket, to=State.VERIFYING, by=agent)
    verify(ticket, agent, level=level)
    prove_new_contacts(ticket, agent)
    verification_complete(ticket=ticket, by=agent)
    ticket.refresh_from_db()
    return ticket


def to_approved(ticket: Ticket, agent, *approvers) -> Ticket:
    approval_submit(ticket=ticket, by=agent)
    for approver in approvers:
        approval_grant(ticket=ticket, by=approver)
    ticket.refresh_from_db()
    return ticket


def edit(ticket: Ticket, by, data: dict, *, stamp: str | None = None):
    """What the edit page does with a valid post: the category form, intake's drafts, the
    service, in one transaction."""
    form = form_for(ticket.category, customer=ticket.customer, client=ticket.client, data=data)
    if not form.is_valid():
        raise ValueError(f"the {ticket.category} form refuses {form.errors.as_json()}")
    with transaction.atomic():
        drafts = drafts_for(
            category=ticket.category, cleaned_data=form.cleaned_data, customer=ticket.customer
        )
        return ticket_change_edit(
            ticket=ticket,
            by=by,
            drafts=drafts,
            stamp=edit_stamp(Ticket.objects.get(pk=ticket.pk)) if stamp is None else stamp,
        )
