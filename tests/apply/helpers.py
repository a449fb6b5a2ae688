"""Tickets brought to where they can be applied the way the desk does it: captured by
intake from a category form's data, verified (new contacts proven by their own code),
marked verified, and — when the policy asks — submitted and approved."""

import datetime as dt

from django.utils import timezone

from profiledesk.approvals.rules import plan_for
from profiledesk.approvals.services import approval_grant, approval_submit
from profiledesk.intake.capture import drafts_for
from profiledesk.tickets.models import State
from profiledesk.tickets.services import ticket_create
from profiledesk.tickets.states import transition
from tests.approvals.helpers import verify
from verification.models import Attempt, Method, OtpChallenge, Purpose, Result
from verification.services import verification_complete
from verification.status import contact_items


def prove_contacts(ticket, by) -> None:
    """Record a passed code for every new e-mail or phone of the ticket."""
    now = timezone.now()
    for item in contact_items(ticket):
        challenge = OtpChallenge.objects.create(
            ticket=ticket,
            customer=ticket.customer,
            purpose=Purpose.NEW_CONTACT,
            channel="email" if item.field.startswith("email") else "sms",
            change_item=item,
            new_value=item.new_value,
            destination=f"new:{item.new_value}",
            code_hash="x",
            sent_by=by,
            created_at=now,
            expires_at=now,
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


def identity_code(ticket, by) -> None:
    """A passed identity code sent to the customer's primary e-mail on file."""
    now = timezone.now()
    email = ticket.customer.emails.get(is_primary=True)
    email.verified_at = now - dt.timedelta(days=400)  # long trusted, not a new contact
    email.save()
    challenge = OtpChallenge.objects.create(
        ticket=ticket,
        customer=ticket.customer,
        purpose=Purpose.IDENTITY,
        channel="email",
        email=email,
        destination=f"email:{email.pk}",
        code_hash="x",
        sent_by=by,
        created_at=now,
        expires_at=now,
        used_at=now,
    )
    Attempt.objects.create(
        ticket=ticket,
        customer=ticket.customer,
        method=Method.OTP,
        result=Result.PASSED,
        staff=by,
        at=now,
        challenge=challenge,
    )


def ready(customer, agent, category: str, data: dict | None = None, *, items=None, level=3):
    """A `ready` ticket of `category` carrying what intake captures from `data`."""
    if items is None:
        items = drafts_for(category=category, cleaned_data=data, customer=customer)
    ticket = ticket_create(
        client=customer.client,
        customer=customer,
        by=agent,
        channel="phone",
        category=category,
        items=items,
    )
    transition(ticket=ticket, to=State.VERIFYING, by=agent)
    if category == "security":
        # A security change counts only a code sent to a contact on file.
        identity_code(ticket, agent)
    verify(ticket, agent, level=level)
    prove_contacts(ticket, agent)
    verification_complete(ticket=ticket, by=agent)
    return ticket


def approve(ticket, personas) -> None:
    """Submit and approve at every tier the ticket needs (supervisors, then compliance)."""
    approval_submit(ticket=ticket, by=personas["agent"])
    deciders = {1: "supervisor", 2: "compliance"}
    while ticket.state == State.PENDING_APPROVAL:
        approval_round = ticket.approval_rounds.get(status="open")
        approval_grant(ticket=ticket, by=personas[deciders[approval_round.current_tier]])
        ticket.refresh_from_db()


def applicable(customer, personas, category: str, data: dict | None = None, **kwargs):
    """A ticket that can be applied now: ready, and approved if its policy says so."""
    ticket = ready(customer, personas["agent"], category, data, **kwargs)
    if plan_for(ticket).tiers:
        approve(ticket, personas)
    return ticket
