"""Reads for completing a ticket: the panel on the ticket page, the request as it arrived."""

from dataclasses import dataclass, field

from profiledesk.accounts.models import User

from .completion import COMPLETABLE, capture_problem, match_problem
from .completion_forms import CaptureStartForm, MatchSearchForm
from .models import Attachment, Ticket, TicketEvent


@dataclass(frozen=True)
class OriginalMessage:
    """What the customer sent, as the inbound app or the API kept it: the first comment
    the desk itself wrote (the e-mail's text, or the API's comment), the summary and the
    attachments."""

    summary: str
    text: str
    attachments: list[Attachment] = field(default_factory=list)


def original_message(ticket: Ticket) -> OriginalMessage:
    """Two queries: the first comment written by no one (the desk on arrival), the files."""
    first = (
        ticket.events.filter(kind=TicketEvent.Kind.COMMENT, actor__isnull=True)
        .order_by("at", "id")
        .first()
    )
    return OriginalMessage(
        summary=ticket.summary,
        text=first.message if first is not None else "",
        attachments=list(ticket.attachments.order_by("pk")),
    )


def completion_panel(ticket: Ticket, user: User) -> dict:
    """The ticket page's "find the customer" and "capture the change" cards. No query:
    whether the ticket has items is the page's own `items` (the template asks)."""
    may_work = ticket.is_open and user.has_perm("tickets.work_ticket")
    can_match = may_work and match_problem(ticket) is None
    # has_items=False: the card is shown only while the page's `items` is empty.
    capture = capture_problem(ticket, has_items=False) if may_work else None
    # The refusal is said only where capturing is the next step (a matched new request).
    next_step = ticket.state in COMPLETABLE and ticket.customer_id is not None
    return {
        "completion": {
            "can_match": can_match,
            "match_form": MatchSearchForm() if can_match else None,
            "can_capture": may_work and capture is None,
            "capture_refusal": capture if next_step else None,
            "capture_form": CaptureStartForm(initial={"category": ticket.category}),
        }
    }
