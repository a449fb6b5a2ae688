"""A few Northwind customers whose tickets went through the desk's real services, so that
the demo's history and rollback pages show real evidence: a ticket-linked change with
its verification passes, approvals and confirmations, and a change rolled back.

The bulk seed (tickets.py) writes rows for speed and changes no profile; these stories
go the slow way the floor does — intake's drafts, `ticket_create`, OTP codes sent and
read back from the queued message, the security answers, approval by the supervisor,
`ticket_apply`; and for the rollback `rollback_open` by compliance, a waiver, approval
and apply. Each story is one transaction; a customer it does not fit (frozen, flagged, a
contact still cooling off) is skipped for the next one. Re-running adds nothing: a story
is recognised by its summary.

The services queue their tasks (codes, confirmations) on commit. seed_demo runs before
`run_demo` starts Redis and the worker, and every publish to a missing broker costs
0.6 s of retries; so the stories run their tasks in process (Celery's eager mode, for
the stories only): the messages land in the demo's mail and SMS sinks (Dev outbox) at
once, as the worker would have sent them.
"""

import contextlib
import logging
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from profiledesk.accounts.models import User
from profiledesk.apply.services import ApplyError, ticket_apply
from profiledesk.approvals.rules import plan_for
from profiledesk.approvals.services import ApprovalError, approval_grant, approval_submit
from profiledesk.celery import app as celery_app
from profiledesk.clients.models import Client
from profiledesk.customers import models as m
from profiledesk.intake.capture import drafts_for
from profiledesk.messaging import crypto
from profiledesk.messaging.models import Message
from profiledesk.rollback.services import RollbackError, rollback_open
from profiledesk.tickets.models import State, Ticket
from profiledesk.tickets.services import TicketError, ticket_claim, ticket_create
from profiledesk.tickets.states import TransitionError, transition
from verification.services import (
    VerificationError,
    identity_contacts,
    new_contacts,
    otp_check,
    otp_send,
    questions_check,
    verification_complete,
)
from verification.status import verification_missing
from verification.waivers import WaiverError, verification_waive

from . import identifiers
from .pools import SECURITY_QUESTIONS

CLIENT = "northwind"
# Customers tried for the stories, from the first; fewer than this: no stories.
CANDIDATES = 40
MIN_CUSTOMERS = 4
_CODE_RE = re.compile(r"\b(\d{6})\b")


@dataclass
class Staff:
    agent: User
    supervisor: User
    compliance: User


@dataclass(frozen=True)
class Story:
    key: str
    summary: str
    category: str
    data: Callable[[m.Customer], dict]
    rollback_reason: str = ""


def _email(customer: m.Customer) -> dict:
    return {
        "email": f"{customer.number.lower()}.new@mail.example",
        "email_target": customer.emails.get(is_primary=True).pk,
    }


def _card(customer: m.Customer) -> dict:
    """A new Mastercard for the default card: a made-up number the vault takes and intake
    drops, like the bulk seed's."""
    card = customer.cards.filter(is_default=True).first()
    holder = card.holder_name if card else customer.personal.legal_name.upper()
    return {
        "card_number": identifiers.card_number(random.Random(customer.pk), "mastercard"),
        "card_exp_month": 3,
        "card_exp_year": timezone.localdate().year + 4,
        "card_holder_name": holder,
        "card_make_default": True,
        "card_target": card.pk if card else None,
    }


def _address(customer: m.Customer) -> dict:
    """A flat number added to the home address (the street stays valid for its country)."""
    home = customer.addresses.order_by("pk").first()
    return {
        "address_line1": home.line1,  # unchanged; intake keys an address change on it
        "address_line2": "Flat 7" if home.line2 == "Flat 3" else "Flat 3",
        "address_target": home.pk,
    }


def _phone(customer: m.Customer) -> dict:
    """A mobile number of the country of the customer's current one."""
    phone = customer.phones.filter(is_primary=True).first()
    region = (
        phonenumbers.region_code_for_number(phonenumbers.parse(phone.number)) if phone else "GB"
    )
    mobile = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    number = phonenumbers.format_number(mobile, phonenumbers.PhoneNumberFormat.E164)
    return {"phone": number, "phone_target": phone.pk if phone else None}


STORIES = (
    Story("email", "New e-mail address (demo story)", "contact", _email),
    Story("card", "Replacement card (demo story)", "billing", _card),
    Story(
        "address",
        "Flat number added (demo story)",
        "contact",
        _address,
        rollback_reason="Customer called: the flat number was typed for the wrong account.",
    ),
    Story("phone", "New mobile number (demo story)", "contact", _phone),
)


class StorySkipped(Exception):
    """This customer does not fit the story (say why); the next one is tried."""


# What the services refuse with: a customer the story does not fit (its transaction is
# rolled back and the next customer tried).
REFUSALS = (
    StorySkipped,
    ValidationError,
    ApplyError,
    ApprovalError,
    RollbackError,
    TicketError,
    TransitionError,
    VerificationError,
    WaiverError,
)


@contextlib.contextmanager
def _tasks_in_process() -> Iterator[None]:
    before = celery_app.conf.task_always_eager
    trace = logging.getLogger("celery.app.trace")  # a line a task: noise in seed_demo's output
    level = trace.level
    celery_app.conf.task_always_eager = True
    trace.setLevel(logging.WARNING)
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = before
        trace.setLevel(level)


def _code_sent(challenge) -> str:
    """The code as the customer reads it from the message: the demo's stand-in for a
    caller reading it out. Only here, in demo mode, is a sealed message opened."""
    message = Message.objects.get(idempotency_key=f"otp-challenge-{challenge.pk}")
    body = crypto.unseal(message.body_encrypted)
    match = _CODE_RE.search(body.get("text", ""))
    if match is None:
        raise StorySkipped("no code in the message")
    return match.group(1)


def _otp(ticket: Ticket, agent: User, key: str) -> None:
    challenge = otp_send(ticket=ticket, staff=agent, contact_key=key)
    outcome = otp_check(
        ticket=ticket, staff=agent, challenge_id=challenge.pk, code=_code_sent(challenge)
    )
    if not outcome.passed:
        raise StorySkipped(str(outcome.message))


def _verify(ticket: Ticket, agent: User) -> None:
    """An identity code to a contact on file, the security answers, and a code to every
    new contact (dual confirmation)."""
    on_file = identity_contacts(ticket)
    if not on_file:
        raise StorySkipped("no verified contact on file")
    _otp(ticket, agent, on_file[0].key)
    answers = dict(SECURITY_QUESTIONS)
    questions = ticket.customer.security_questions.all()
    outcome = questions_check(
        ticket=ticket, staff=agent, answers={q.pk: answers.get(q.question, "") for q in questions}
    )
    if not outcome.passed:
        raise StorySkipped(str(outcome.message))
    for contact in new_contacts(ticket):
        _otp(ticket, agent, contact.key)


def _approve(ticket: Ticket, staff: Staff) -> None:
    """Submit, and approve at every tier the policy needs (supervisor, then compliance)."""
    if not plan_for(ticket).tiers:
        return
    approval_submit(ticket=ticket, by=staff.agent)
    ticket.refresh_from_db()
    deciders = {1: staff.supervisor, 2: staff.compliance}
    while ticket.state == State.PENDING_APPROVAL:
        approval_round = ticket.approval_rounds.get(status="open")
        approval_grant(ticket=ticket, by=deciders[approval_round.current_tier])
        ticket.refresh_from_db()
    if ticket.state != State.APPROVED:
        raise StorySkipped(f"approval ended in {ticket.state}")


def _ready(ticket: Ticket, staff: Staff) -> None:
    missing = verification_missing(ticket)
    if missing:
        raise StorySkipped(str(missing))
    verification_complete(ticket=ticket, by=staff.agent)
    _approve(ticket, staff)


def _apply(ticket: Ticket, staff: Staff) -> Ticket:
    ticket_apply(ticket=ticket, by=staff.agent)
    ticket.refresh_from_db()
    return ticket


def _story_run(story: Story, customer: m.Customer, staff: Staff) -> Ticket:
    items = drafts_for(
        category=story.category, cleaned_data=story.data(customer), customer=customer
    )
    ticket = ticket_create(
        client=customer.client,
        customer=customer,
        by=staff.agent,
        channel="phone",
        category=story.category,
        items=items,
        summary=story.summary,
    )
    # One person at a time: the agent claims it before working it, as on the floor.
    ticket = ticket_claim(ticket=ticket, by=staff.agent)
    transition(ticket=ticket, to=State.VERIFYING, by=staff.agent)
    _verify(ticket, staff.agent)
    _ready(ticket, staff)
    ticket = _apply(ticket, staff)
    if story.rollback_reason:
        rollback = rollback_open(by=staff.compliance, ticket=ticket, reason=story.rollback_reason)
        rollback = ticket_claim(ticket=rollback, by=staff.agent)
        transition(ticket=rollback, to=State.VERIFYING, by=staff.agent)
        # The customer is not on the line for a rollback: compliance waives verification.
        verification_waive(ticket=rollback, by=staff.compliance, reason=story.rollback_reason)
        _ready(rollback, staff)
        _apply(rollback, staff)
        ticket.refresh_from_db()
    return ticket


def _staff(client: Client) -> Staff | None:
    users = {
        u.username: u
        for u in User.objects.filter(username__startswith=f"{client.slug}.", is_active=True)
    }
    try:
        return Staff(
            *(users[f"{client.slug}.{role}"] for role in ("agent", "supervisor", "compliance"))
        )
    except KeyError:
        return None


def demo_stories(*, progress: Callable[[str], None] = lambda _: None) -> dict[str, str]:
    """Run the stories not run yet; {story key: customer number} of every story there."""
    client = Client.objects.filter(slug=CLIENT).first()
    staff = _staff(client) if client else None
    if staff is None:
        return {}
    candidates = list(
        m.Customer.objects.filter(
            client=client, is_flagged=False, frozen_at__isnull=True, emails__is_primary=True
        )
        .order_by("pk")
        .distinct()[:CANDIDATES]
    )
    if len(candidates) < MIN_CUSTOMERS:
        return {}
    done: dict[str, str] = {}
    used: set[int] = set()
    for story in STORIES:
        existing = (
            Ticket.objects.filter(client=client, summary=story.summary, rollback_of=None)
            .select_related("customer")
            .first()
        )
        if existing is not None:
            done[story.key] = existing.customer.number
            used.add(existing.customer_id)
            continue
        for customer in candidates:
            if customer.pk in used:
                continue
            try:
                with _tasks_in_process(), transaction.atomic():
                    _story_run(story, customer, staff)
            except REFUSALS as why:
                progress(f"  story {story.key}: skipped {customer.number} ({why})")
                continue
            done[story.key] = customer.number
            used.add(customer.pk)
            break
    return done


def stories_text(done: dict[str, str]) -> str:
    """The logins file's section naming the story customers."""
    if not done:
        return ""
    what = {
        "email": "e-mail changed (verified, applied, customer told: closed)",
        "card": "card replaced (approved by the supervisor): one to roll back",
        "address": "flat number added, then rolled back by compliance",
        "phone": "mobile number changed (verified, applied: closed)",
    }
    lines = ["", "Northwind customers with real tickets (History and Roll back):"]
    lines += [f"  {number:<14} {what[key]}" for key, number in done.items()]
    return "\n".join(lines) + "\n"
