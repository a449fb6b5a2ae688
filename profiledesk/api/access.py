"""The access helper for the API: a client system sees its own tickets and nothing else."""

import re

from django.http import Http404

from profiledesk.clients.models import Client
from profiledesk.tickets.models import Ticket

REFERENCE = re.compile(r"PD-\d{6,}")


def get_ticket_for_api_client(client: Client, reference: str) -> Ticket:
    """The ticket of `client` with this reference, or 404 (also for another client's
    ticket: a caller learns nothing about references that are not its own)."""
    if not REFERENCE.fullmatch(reference or ""):
        raise Http404("No such change request")
    ticket = (
        Ticket.objects.filter(client=client, reference=reference)
        .select_related("customer")
        .prefetch_related("items")
        .first()
    )
    if ticket is None:
        raise Http404("No such change request")
    return ticket
