"""Helpers of the verification tests (the browser journey uses them too)."""

from profiledesk.tickets.models import State
from profiledesk.tickets.services import ItemDraft, ticket_create
from profiledesk.tickets.states import transition

# Every point of the document checklist ticked.
ALL_TICKED = {
    "photo_matches": True,
    "name_matches": True,
    "not_expired": True,
    "type_confirmed": True,
}


def open_ticket(customer, agent, *, category="contact", items=None, verifying=True):
    items = items or [
        ItemDraft(
            section="contact",
            field="postaladdress.city",
            label="City",
            new_value="Leeds",
            new_display="Leeds",
        )
    ]
    ticket = ticket_create(
        client=customer.client,
        customer=customer,
        by=agent,
        channel="phone",
        category=category,
        items=items,
    )
    if verifying:
        transition(ticket=ticket, to=State.VERIFYING, by=agent)
    return ticket


def new_email_item(value="new.grace@example.com") -> ItemDraft:
    return ItemDraft(
        section="contact",
        field="emailaddress.email",
        label="E-mail address",
        new_value=value,
        new_display="n•••@example.com",
    )


def email_key(customer) -> str:
    return f"email:{customer.emails.get().pk}"


def phone_key(customer) -> str:
    return f"phone:{customer.phones.get().pk}"
