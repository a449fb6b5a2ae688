"""Writes on tickets other than state changes (those are in states.py)."""

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import DatabaseError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from audit.services import audit_record
from profiledesk.accounts.models import User
from profiledesk.accounts.naming import staff_name
from profiledesk.accounts.roles import Role, roles_of
from profiledesk.clients.models import Client
from profiledesk.customers.models import Customer
from profiledesk.policies.defaults import policy_for
from profiledesk.policies.risk import risk_assess
from profiledesk.policies.sla import sla_due
from profiledesk.vault.cards import redact_card_numbers

from .models import ChangeItem, Channel, Priority, State, Ticket, TicketEvent


class TicketError(Exception):
    """A request that cannot be done; the message is safe to show."""


@dataclass(frozen=True)
class ItemDraft:
    """A validated change, ready to become a ChangeItem. Secrets arrive as vault tokens."""

    section: str
    field: str
    label: str
    new_value: str
    new_display: str
    old_display: str = ""
    target_id: int | None = None
    is_secret: bool = False


def _event(
    ticket: Ticket, kind: str, by: User | None = None, message: str = "", **extra: object
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, at=timezone.now(), actor=by, kind=kind, message=message, **extra
    )


@transaction.atomic
def ticket_create(
    *,
    client: Client,
    channel: str,
    category: str,
    items: list[ItemDraft],
    by: User | None = None,
    customer: Customer | None = None,
    summary: str = "",
    priority: str = Priority.NORMAL,
    comment: str = "",
) -> Ticket:
    """Open a ticket with its change items, SLA due time and risk assessment."""
    if customer is not None and customer.client_id != client.pk:
        raise TicketError(_("That customer belongs to another client."))
    if channel not in Channel.values:
        raise TicketError(_("Unknown channel."))
    now = timezone.now()
    policy = policy_for(client=client, category=category)
    ticket = Ticket.objects.create(
        client=client,
        customer=customer,
        channel=channel,
        category=category,
        priority=priority,
        created_by=by,
        assignee=by if channel in (Channel.PHONE, Channel.CHAT) else None,
        summary=redact_card_numbers(summary)[:200],
        sla_due_at=sla_due(client=client, start=now, minutes=policy.sla_minutes),
        created_at=now,
        updated_at=now,
    )
    items_create(ticket=ticket, drafts=items, by=by if getattr(by, "pk", None) else None)
    assessment = risk_assess(ticket)
    ticket.reference = f"PD-{ticket.pk:06d}"
    ticket.risk_score = assessment.score
    ticket.risk_level = assessment.level
    ticket.risk_reasons = [r.__dict__ for r in assessment.reasons]
    ticket._change_reason = "created"
    ticket.save(update_fields=["reference", "risk_score", "risk_level", "risk_reasons"])
    _event(
        ticket,
        TicketEvent.Kind.CREATED,
        by,
        _("Opened from %(channel)s.") % {"channel": ticket.get_channel_display()},
    )
    if comment.strip():
        _event(ticket, TicketEvent.Kind.COMMENT, by, redact_card_numbers(comment.strip()))
    return ticket


def ticket_comment(*, ticket: Ticket, by: User | None, body: str) -> TicketEvent:
    body = redact_card_numbers((body or "").strip())
    if not body:
        raise TicketError(_("A comment cannot be empty."))
    return _event(ticket, TicketEvent.Kind.COMMENT, by, body)


@transaction.atomic
def ticket_claim(*, ticket: Ticket, by: User) -> Ticket:
    """Take an unassigned open ticket; of two agents claiming at once, one wins."""
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if not locked.is_open:
        raise TicketError(_("This ticket is no longer open."))
    if locked.state == State.ESCALATED and Role.SECURITY not in roles_of(by):
        raise TicketError(_("This ticket is with the security team."))
    if locked.assignee_id == by.pk:
        return locked
    if locked.assignee_id is not None:
        # Taking a claimed ticket is a supervisor's take-over (ticket_take_over), never a claim.
        raise TicketError(
            _("%(name)s has already claimed this ticket.") % {"name": staff_name(locked.assignee)}
        )
    locked.assignee = by
    locked.updated_at = timezone.now()
    locked.version += 1
    locked._change_reason = "claimed"
    locked.save(update_fields=["assignee", "updated_at", "version"])
    _event(locked, TicketEvent.Kind.ASSIGNED, by, _("Claimed by %(name)s.") % {"name": by})
    return locked


@transaction.atomic
def ticket_reassign(*, ticket: Ticket, to: User, by: User) -> Ticket:
    """A supervisor hands an open ticket to a member of the ticket's client."""
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if not locked.is_open:
        raise TicketError(_("This ticket is no longer open."))
    # As for a claim or a take-over: a suspected fraud is security's to hand out.
    if locked.state == State.ESCALATED and Role.SECURITY not in roles_of(by):
        raise TicketError(_("This ticket is with the security team."))
    if to is not None and not to.memberships.filter(client_id=locked.client_id).exists():
        raise TicketError(_("%(name)s does not work for this client.") % {"name": to})
    if to is not None and not to.has_perm("tickets.work_ticket"):
        raise TicketError(_("%(name)s does not work tickets.") % {"name": to})
    locked.assignee = to
    locked.updated_at = timezone.now()
    locked.version += 1
    locked._change_reason = "reassigned"
    locked.save(update_fields=["assignee", "updated_at", "version"])
    who = str(to) if to else _("nobody")
    _event(locked, TicketEvent.Kind.ASSIGNED, by, _("Assigned to %(name)s.") % {"name": who})
    return locked


@transaction.atomic
def ticket_take_over(
    *, ticket: Ticket, by: User, reason: str = "", request: HttpRequest | None = None
) -> Ticket:
    """A supervisor takes a ticket claimed by someone else, to work it themselves: they
    become its assignee; the timeline says from whom, and the audit log keeps it."""
    locked = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("assignee", "client")
        .get(pk=ticket.pk)
    )
    if not by.has_perm("tickets.reassign_ticket"):
        raise TicketError(_("Only a supervisor can take over a ticket someone else claimed."))
    if not locked.is_open:
        raise TicketError(_("This ticket is no longer open."))
    if locked.state == State.ESCALATED and Role.SECURITY not in roles_of(by):
        raise TicketError(_("This ticket is with the security team."))
    if locked.assignee_id == by.pk:
        return locked
    previous = locked.assignee
    reason = redact_card_numbers((reason or "").strip())[:500]
    locked.assignee = by
    locked.updated_at = timezone.now()
    locked.version += 1
    locked._change_reason = "taken over"
    locked.save(update_fields=["assignee", "updated_at", "version"])
    message = _("Taken over by %(name)s from %(previous)s.") % {
        "name": staff_name(by),
        "previous": staff_name(previous) if previous else _("nobody"),
    }
    _event(locked, TicketEvent.Kind.ASSIGNED, by, f"{message} {reason}".strip())
    audit_record(
        action="ticket.taken_over",
        actor=by,
        client=locked.client,
        target=locked,
        data={
            "reference": locked.reference,
            "from": previous.pk if previous else None,
            "reason": reason,
        },
        request=request,
    )
    return locked


def ticket_touch(*, ticket_id: int) -> None:
    """Something the ticket page shows was written: bump the ticket's `version`, which the
    open pages' poll compares (tickets/live.py). One UPDATE; no history row (a counter, not
    data of record: `version` is excluded from the ticket's history)."""
    ticket = Ticket(pk=ticket_id)
    ticket.version = F("version") + 1
    ticket.skip_history_when_saving = True  # type: ignore[attr-defined]
    # DatabaseError: Django's own "did not affect any rows", the ticket is being deleted
    # (its events go first in the cascade); nothing reached the database.
    with contextlib.suppress(DatabaseError):
        ticket.save(update_fields=["version"])


def items_create(
    *, ticket: Ticket, drafts: Iterable[ItemDraft], by: User | None, reason: str = "captured"
) -> list[ChangeItem]:
    """The ticket's change items from capture's drafts, in order, each with its history row
    (a new ticket's, or one captured later on the ticket: tickets/completion.py)."""
    created: list[ChangeItem] = bulk_create_with_history(
        [
            ChangeItem(
                ticket=ticket,
                position=position,
                section=draft.section,
                field=draft.field,
                target_id=draft.target_id,
                label=draft.label,
                old_display=draft.old_display,
                new_value=draft.new_value,
                new_display=draft.new_display,
                is_secret=draft.is_secret,
            )
            for position, draft in enumerate(drafts)
        ],
        ChangeItem,
        default_user=by,
        default_change_reason=reason,
    )
    return created
