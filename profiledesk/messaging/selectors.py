"""Reading messages: what a ticket's timeline shows (redacted, never the body)."""

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from .models import Message

if TYPE_CHECKING:  # a type only: transports sit below tickets
    from profiledesk.tickets.models import Ticket

SHOWN_FIELDS = [
    "id",
    "channel",
    "recipient",
    "template",
    "language",
    "subject",
    "text_redacted",
    "status",
    "attempts",
    "provider_message_id",
    "last_error",
    "created_at",
    "sent_at",
]


def messages_for_ticket(*, ticket: "Ticket") -> QuerySet[Message]:
    """The ticket's messages, oldest first, with only what staff may see (one query)."""
    return Message.objects.filter(ticket=ticket).only(*SHOWN_FIELDS).order_by("created_at", "id")
