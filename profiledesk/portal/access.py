"""What a signed-in customer may reach on the portal: their own client, tickets and
confirmation links, and nothing else (another's id is a 404, never a 403: it says nothing)."""

from django.http import Http404

from profiledesk.clients.models import Client
from profiledesk.confirmations.models import ReportLink
from profiledesk.customers.models import Customer
from profiledesk.tickets.models import Ticket


def get_portal_client(slug: str) -> Client:
    client = Client.objects.filter(slug=slug, is_active=True).first()
    if client is None:
        raise Http404
    return client


def get_ticket_for_customer(customer: Customer, reference: str) -> Ticket:
    ticket = (
        Ticket.objects.filter(customer=customer, client_id=customer.client_id, reference=reference)
        .select_related("client")
        .first()
    )
    if ticket is None:
        raise Http404
    return ticket


def get_report_link_for_customer(customer: Customer, link_id: int) -> ReportLink:
    link = (
        ReportLink.objects.filter(pk=link_id, ticket__customer=customer)
        .select_related("ticket")
        .first()
    )
    if link is None:
        raise Http404
    return link
