"""Security's queue (docs/design.md §1, §5): the escalated tickets of the staff member's
clients (fraud suspected by the floor, critical risk at submit, a customer's report) and
every open "this wasn't me" report ticket, whatever state "Return to the flow" left it in.

The queue's own machinery (tickets.selectors): keyset pages in the chosen sort, the
capped count, a fixed number of queries (the page with whether each row is a customer's
report, and the count).
"""

from django.db.models import Exists, OuterRef, Q

from profiledesk.confirmations.models import ReportLink
from profiledesk.tickets.models import OPEN_STATES, State, Ticket, TicketQuerySet
from profiledesk.tickets.selectors import (
    COUNT_CAP,
    PAGE_SIZE,
    Cursor,
    QueuePage,
    Sort,
    keyset_page,
)


def _reports() -> Exists:
    return Exists(ReportLink.objects.filter(report_ticket_id=OuterRef("pk")))


def security_tickets(*, client_ids: list[int]) -> TicketQuerySet:
    """Open tickets of `client_ids` (from tickets.selectors.queue_clients: the one scoping
    decision) that are security's: escalated, or a customer's report."""
    return (
        Ticket.objects.filter(client_id__in=client_ids, state__in=OPEN_STATES)
        .annotate(is_report=_reports())
        .filter(Q(state=State.ESCALATED) | Q(is_report=True))
    )


def security_queue(
    *,
    client_ids: list[int],
    sort: str = Sort.DUE,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> QueuePage[Ticket]:
    """One page of security's queue and its capped count (two queries)."""
    matching = security_tickets(client_ids=client_ids)
    rows, next_cursor, previous_cursor = keyset_page(
        matching, sort=sort, after=after, before=before, size=size
    )
    count = matching.order_by()[: COUNT_CAP + 1].count()
    return QueuePage(
        tickets=rows, count=count, next_cursor=next_cursor, previous_cursor=previous_cursor
    )


def is_security_ticket(ticket: Ticket) -> bool:
    """Whether `ticket` is one security's queue shows (one query at most)."""
    if not ticket.is_open:
        return False
    if ticket.state == State.ESCALATED:
        return True
    return ReportLink.objects.filter(report_ticket_id=ticket.pk).exists()
