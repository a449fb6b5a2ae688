"""Tickets brought to `ready` the way the desk does it: opened, verified (passes recorded
as evidence by the verifying agent), marked verified."""

import datetime as dt

from django.utils import timezone

from profiledesk.tickets.models import State
from profiledesk.tickets.services import ItemDraft, ticket_create
from profiledesk.tickets.states import transition
from tests.conftest import make_staff
from verification.models import Attempt, Method, Result
from verification.services import verification_complete

# A Wednesday morning, inside the default business hours (no off-hours risk points).
WEDNESDAY = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)

BILLING_ITEM = ItemDraft(
    section="billing",
    field="bankaccount.account_holder",
    label="Account holder",
    new_value="G HOPPER",
    new_display="G HOPPER",
)
CONTACT_ITEM = ItemDraft(
    section="contact",
    field="postaladdress.city",
    label="City",
    new_value="Leeds",
    new_display="Leeds",
)
ORGANISATION_ITEM = ItemDraft(
    section="organisation",
    field="organisation.business_name",
    label="Business name",
    new_value="Hopper Computing Ltd",
    new_display="Hopper Computing Ltd",
)
DOB_ITEM = ItemDraft(
    section="personal",
    field="personaldetails.date_of_birth",
    label="Date of birth",
    new_value="1906-12-09",
    new_display="••/••/1906",
)


def verify(ticket, by, *, level: int = 2) -> None:
    methods = [Method.OTP, Method.QUESTIONS] + ([Method.DOCUMENT] if level >= 3 else [])
    for method in methods:
        Attempt.objects.create(
            ticket=ticket,
            customer=ticket.customer,
            method=method,
            result=Result.PASSED,
            staff=by,
            at=timezone.now(),
        )


def ready_ticket(customer, agent, *, category="billing", items=None, level: int | None = None):
    items = (
        items
        or {
            "billing": [BILLING_ITEM],
            "contact": [CONTACT_ITEM],
            "organisation": [ORGANISATION_ITEM],
            "personal": [DOB_ITEM],
        }[category]
    )
    ticket = ticket_create(
        client=customer.client,
        customer=customer,
        by=agent,
        channel="phone",
        category=category,
        items=items,
    )
    transition(ticket=ticket, to=State.VERIFYING, by=agent)
    verify(ticket, agent, level=level or (3 if category in ("organisation", "personal") else 2))
    verification_complete(ticket=ticket, by=agent)
    return ticket


def second(role: str, client, name: str | None = None):
    return make_staff(name or f"{role}2", role, client)
