"""Applied tickets to roll back, and a rollback ticket taken through the floor the way
the desk does it: start verification, a compliance waiver, mark verified, approvals when
the policy asks, apply."""

import datetime as dt

from profiledesk.apply.services import ticket_apply
from profiledesk.approvals.rules import plan_for
from profiledesk.tickets.models import State
from profiledesk.tickets.services import ticket_claim
from profiledesk.tickets.states import transition
from tests.apply.helpers import applicable, approve
from verification.services import verification_complete
from verification.waivers import verification_waive

CARD = {
    "card_number": "5555555555554444",
    "card_exp_month": 3,
    "card_exp_year": 2031,
    "card_holder_name": "G B HOPPER",
}


def applied(customer, personas, category: str, data: dict, clock=None):
    """A ticket of `category` captured from `data`, verified, approved and applied."""
    ticket = applicable(customer, personas, category, data)
    ticket_apply(ticket=ticket, by=personas["agent"])
    ticket.refresh_from_db()
    if clock is not None:
        clock.shift(dt.timedelta(minutes=5))
    return ticket


def through_the_floor(rollback, personas, *, waiver_by=None):
    """Waive verification (compliance), mark verified and submit (agent), approve at
    every tier the policy asks, apply (agent)."""
    agent = personas["agent"]
    ticket_claim(ticket=rollback, by=agent)  # compliance opened it: nobody's until claimed
    transition(ticket=rollback, to=State.VERIFYING, by=agent)
    verification_waive(
        ticket=rollback,
        by=waiver_by or personas["compliance"],
        reason="Customer reported a mistaken change by e-mail; not on the line.",
    )
    verification_complete(ticket=rollback, by=agent)
    if plan_for(rollback).tiers:
        approve(rollback, personas)
    ticket_apply(ticket=rollback, by=agent)
    rollback.refresh_from_db()
    return rollback
