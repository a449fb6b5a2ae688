"""Notifications' fixtures made the way the desk makes them."""

import datetime as dt

from django.utils import timezone

from profiledesk.approvals.services import approval_submit
from tests.approvals.helpers import ready_ticket


def pending_ticket(customer, agent, *, category: str = "billing"):
    """Opened, verified and submitted by `agent` (who holds it): waiting at tier 1."""
    ticket = ready_ticket(customer, agent, category=category)
    approval_submit(ticket=ticket, by=agent)
    return ticket


def breached(ticket, *, minutes: int = 5):
    """The ticket's SLA due `minutes` ago (a test's set-up: saved, with its history)."""
    ticket.sla_due_at = timezone.now() - dt.timedelta(minutes=minutes)
    ticket._change_reason = "test: due in the past"
    ticket.save(update_fields=["sla_due_at"])
    return ticket
