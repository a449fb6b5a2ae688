"""Applied tickets as the apply service leaves them: the profile row written (with
history), the ticket moved to `applied`; then `confirmations_create` runs."""

import re

import pytest

from profiledesk.messaging import crypto, sms
from profiledesk.messaging.models import Message
from profiledesk.messaging.tasks import send_message
from profiledesk.privacy.masking import mask_email, mask_phone
from profiledesk.tickets.models import State, Ticket
from profiledesk.tickets.services import ItemDraft, ticket_create
from tests.connectors.conftest import receiver  # noqa: F401 - a fixture
from tests.messaging.conftest import smtp_server  # noqa: F401 - a fixture

LINK = re.compile(r"/confirm/report/([^\s\"<>]+)")


@pytest.fixture(autouse=True)
def empty_sms():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def mark_applied(ticket: Ticket) -> Ticket:
    # What ticket_apply does with the state (its own module's job, not tested here).
    # save(), not update(): tracked models always leave a history row (docs/design.md §7).
    ticket.refresh_from_db()
    return set_fields(ticket, state=State.APPLIED)


def set_fields(row, **values):
    """Test set-up of a history-tracked row: save() so that history records it."""
    for name, value in values.items():
        setattr(row, name, value)
    row.save(update_fields=list(values))
    return row


def open_ticket(customer, *, category: str, items: list[ItemDraft]) -> Ticket:
    return ticket_create(
        client=customer.client, customer=customer, channel="phone", category=category, items=items
    )


def email_change(customer, *, new: str = "new.address@example.com") -> tuple[Ticket, str]:
    """Change the primary e-mail, applied; returns (ticket, the old address)."""
    row = customer.emails.get(is_primary=True)
    old = row.email
    ticket = open_ticket(
        customer,
        category="contact",
        items=[
            ItemDraft(
                section="contact",
                field="emailaddress.email",
                target_id=row.pk,
                label="E-mail address",
                old_display=mask_email(old),
                new_value=new,
                new_display=mask_email(new),
            )
        ],
    )
    row.email = new
    row._change_reason = ticket.reference
    row.save()
    return mark_applied(ticket), old


def phone_change(customer, *, new: str = "+447700911222") -> tuple[Ticket, str]:
    row = customer.phones.get(is_primary=True)
    old = row.number
    ticket = open_ticket(
        customer,
        category="contact",
        items=[
            ItemDraft(
                section="contact",
                field="phonenumber.number",
                target_id=row.pk,
                label="Phone number",
                old_display=mask_phone(old),
                new_value=new,
                new_display=mask_phone(new),
            )
        ],
    )
    row.number = new
    row.save()
    return mark_applied(ticket), old


def sent_content(message: Message) -> dict:
    """What the customer receives (the message is still queued: its content is sealed)."""
    return crypto.unseal(message.body_encrypted)


def link_token(message: Message) -> str:
    return LINK.search(sent_content(message)["text"]).group(1)


def send(message: Message) -> str:
    return send_message.apply(args=[message.pk]).get()
