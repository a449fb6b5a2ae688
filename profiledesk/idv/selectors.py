"""Reads of the identity provider: what the wizard's panel shows."""

from dataclasses import dataclass

from profiledesk.accounts.models import User
from profiledesk.tickets.claims import claim_problem
from profiledesk.tickets.models import State, Ticket
from verification.services import Contact, identity_destinations

from .models import IdentitySession, ProviderAccount


@dataclass(frozen=True)
class Panel:
    configured: bool
    session: IdentitySession | None
    contacts: list[Contact]
    can_start: bool


def latest_session(ticket: Ticket) -> IdentitySession | None:
    return IdentitySession.objects.filter(ticket=ticket).order_by("-created_at", "-id").first()


def panel_for(*, ticket: Ticket, user: User) -> Panel:
    configured = ProviderAccount.objects.filter(client_id=ticket.client_id, is_active=True).exists()
    session = latest_session(ticket)
    working = (
        ticket.state == State.VERIFYING
        and ticket.customer_id is not None
        and claim_problem(ticket, user) is None
    )
    can_start = configured and working and (session is None or not session.is_open)
    contacts = identity_destinations(ticket) if can_start else []
    return Panel(configured=configured, session=session, contacts=contacts, can_start=can_start)
