"""Editing a ticket's captured change until it is applied (docs/design.md §5, issue 14).

`ticket_change_edit` is the one write: under the ticket's row lock it checks who and when
(`rules.edit_problem`) and that the editor saw the ticket as it is now (`stamp`), writes
the items (`tickets.items.items_replace`), then makes the ticket honest again:

- every approval is void (approvals sign the exact diff): a ticket pending approval or
  approved is back in `ready` (`approvals_void`, a service-only move);
- the risk is assessed again: a tier the new risk needs is asked at the next submit (the
  voided round's plan is gone with it);
- a ready ticket whose verification no longer holds (a new e-mail or phone not proven by
  its own code, a level the new fields need and the caller has not reached, or a
  verification that lapsed) goes back to `verifying` (a service-only move here);
- the timeline says what changed, masked before → after, and so does the audit log.
"""

from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from profiledesk.accounts.models import User
from profiledesk.approvals.rules import diff_hash, ticket_diff_hash
from profiledesk.approvals.services import approvals_void
from profiledesk.policies.services import risk_refresh
from profiledesk.tickets.items import ItemChange, items_replace
from profiledesk.tickets.models import ChangeItem, State, Ticket, TicketEvent
from profiledesk.tickets.services import ItemDraft
from profiledesk.tickets.states import transition
from profiledesk.vault.cards import redact_card_numbers
from verification.services import new_contact_challenges_keep
from verification.status import verification_missing

from .rules import edit_problem


class EditError(Exception):
    """An edit that cannot be made now; the message is safe to show."""


@dataclass(frozen=True)
class EditOutcome:
    state: str  # the ticket's state after the edit
    changes: list[ItemChange]
    voided: int  # approvals voided
    verification: str  # what verification needs again ("": nothing)


def edit_stamp(ticket: Ticket, *, items: list[ChangeItem] | None = None) -> str:
    """What the editor saw: the ticket's state and the hash of its items (`items`: the
    ticket's, already read). A form posted with another stamp was filled in against a
    ticket that has changed since."""
    digest = ticket_diff_hash(ticket) if items is None else diff_hash(items)
    return f"{ticket.state}:{digest}"


def _line(change: ItemChange) -> str:
    return f"{change.label}: {change.before or '—'} → {change.after or '—'}"


@transaction.atomic
def ticket_change_edit(
    *,
    ticket: Ticket,
    by: User,
    drafts: list[ItemDraft],
    stamp: str,
    request: HttpRequest | None = None,
) -> EditOutcome:
    """Replace the ticket's change with `drafts` (from the category form, as at intake).
    Raises EditError when `by` may not edit it, when the ticket changed after the form
    was opened (`stamp`), or when nothing would change."""
    locked = Ticket.objects.select_for_update().select_related("client").get(pk=ticket.pk)
    problem = edit_problem(locked, by)
    if problem:
        raise EditError(problem)
    if not drafts:
        raise EditError(_("A change needs at least one item."))
    if edit_stamp(locked) != stamp:
        raise EditError(
            _(
                "The ticket changed after you opened the form (it is “%(state)s” now): look "
                "at it again before editing."
            )
            % {"state": locked.get_state_display()}
        )
    before_hash = ticket_diff_hash(locked)
    changes = items_replace(
        ticket=locked,
        drafts=drafts,
        by=by,
        before_removing=lambda items: new_contact_challenges_keep(items=items),
    )
    if not changes:
        raise EditError(_("Nothing changed: the change is as it was captured."))
    summary = redact_card_numbers("; ".join(_line(change) for change in changes))
    now = timezone.now()
    # Whoever has the ticket open sees that it changed, even when its state did not.
    locked.updated_at = now
    locked._change_reason = "change edited"
    locked.save(update_fields=["updated_at"])
    TicketEvent.objects.create(
        ticket=locked,
        at=now,
        actor=by,
        kind=TicketEvent.Kind.NOTE,
        message=_("Change edited: %(changes)s") % {"changes": summary},
    )
    risk_refresh(ticket=locked)
    voided = approvals_void(
        ticket=locked, reason=_("the change was edited by %(name)s") % {"name": by}, by=by
    )
    missing = ""
    if locked.state == State.READY:
        missing = verification_missing(locked) or ""
        if missing:
            transition(
                ticket=locked,
                to=State.VERIFYING,
                by=by,
                reason=_("The edited change needs verification again: %(why)s") % {"why": missing},
                service=True,
            )
    audit_record(
        action="ticket.change_edited",
        actor=by,
        client=locked.client,
        target=locked,
        data={
            "reference": locked.reference,
            "changes": [{"label": c.label, "before": c.before, "after": c.after} for c in changes],
            "diff_hash_before": before_hash,
            "diff_hash_after": ticket_diff_hash(locked),
            "approvals_voided": voided,
            "state": locked.state,
            "risk_level": locked.risk_level,
        },
        request=request,
    )
    for name in ("state", "updated_at", "risk_level", "risk_score", "risk_reasons"):
        setattr(ticket, name, getattr(locked, name))
    return EditOutcome(state=locked.state, changes=changes, voided=voided, verification=missing)
