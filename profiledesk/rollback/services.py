"""Rolling back a change (docs/design.md §7): a new ticket, never an edit in place.

`rollback_open` opens a rollback ticket pre-filled with the reverse diff (rules.py) of an
applied ticket or of one past version of a profile row. It is an ordinary ticket of the
same client, customer and category (channel "Back office"): verification (or a waiver by
compliance, verification/waivers.py), approvals, apply, propagation and confirmations
follow the category's policy. When `apply` writes it, `rollback_mark_original` moves the
original ticket to `rolled_back` in the same transaction.
"""

from typing import Any, cast

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from profiledesk.accounts.models import User
from profiledesk.customers.models import Customer
from profiledesk.tickets.models import Channel, State, Ticket
from profiledesk.tickets.services import ticket_create
from profiledesk.tickets.states import transition
from profiledesk.vault.cards import redact_card_numbers

from . import rules
from .models import RollbackRequest


class RollbackError(Exception):
    """A rollback that cannot be opened; the message is safe to show."""


def _first_comment(*, reason: str, diff: rules.ReverseDiff, source: str) -> str:
    lines = [source, _("Reason: %(reason)s") % {"reason": reason}]
    if diff.changed_since:
        lines.append(
            _("Changed again since, and restored as well: %(fields)s.")
            % {"fields": ", ".join(dict.fromkeys(diff.changed_since))}
        )
    lines.extend(diff.notes)
    return "\n".join(lines)


@transaction.atomic
def rollback_open(
    *, by: User, ticket: Ticket | None = None, version: Any = None, reason: str
) -> Ticket:
    """Open the rollback ticket of `ticket` (applied or closed) or of `version` (a
    simple-history row of a profile model); RollbackError says why not. Nothing is
    written when it refuses."""
    reason = redact_card_numbers((reason or "").strip())
    if not reason:
        raise RollbackError(_("Give the reason for the rollback."))
    if not by.has_perm(rules.PERMISSION):
        raise RollbackError(_("Your role cannot request a rollback."))
    if (ticket is None) == (version is None):
        raise RollbackError(_("Roll back either a ticket or a version."))
    original = None
    if ticket is not None:
        # Locked: two compliance officers asking at once give one rollback ticket.
        original = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("client", "customer")
            .get(pk=ticket.pk)
        )
        problem = rules.ticket_problem(original)
        if problem:
            raise RollbackError(problem)
        diff = rules.reverse_of_ticket(original)
        customer = cast("Customer", original.customer)  # ticket_problem: it has one
        summary = _("Rollback of %(reference)s") % {"reference": original.reference}
        source = _("Restores the values from before %(reference)s.") % {
            "reference": original.reference
        }
    else:
        diff = rules.reverse_of_version(version)
        customer = Customer.objects.select_related("client").get(pk=version.customer_id)
        when = formats.date_format(timezone.localtime(version.history_date), "j M Y H:i")
        what = version.instance_type._meta.verbose_name
        written_by = rules.version_reference(version)
        summary = _("Restore the %(what)s as of %(when)s") % {"what": what, "when": when}
        source = _(
            "Restores version %(id)s of the %(what)s (%(label)s, row %(row)s) of %(when)s%(by)s."
        ) % {
            "id": version.history_id,
            "what": what,
            "label": version.instance_type._meta.label_lower,
            "row": version.id,
            "when": when,
            "by": _(", written by %(reference)s") % {"reference": written_by} if written_by else "",
        }
    if diff.problem:
        raise RollbackError(diff.problem)
    new = ticket_create(
        client=customer.client,
        customer=customer,
        by=by,
        channel=Channel.INTERNAL,
        category=diff.category,
        items=diff.items,
        summary=summary,
        comment=_first_comment(reason=reason, diff=diff, source=source),
    )
    if original is not None:
        new.rollback_of = original
        new._change_reason = f"rollback of {original.reference}"
        new.save(update_fields=["rollback_of"])
    RollbackRequest.objects.create(
        ticket=new,
        source_ticket=original,
        model_label=version.instance_type._meta.label_lower if version is not None else "",
        history_id=version.history_id if version is not None else None,
        object_id=version.id if version is not None else None,
        reason=reason,
        requested_by=by,
        requested_at=timezone.now(),
    )
    audit_record(
        action="rollback.requested",
        actor=by,
        client=customer.client,
        target=new,
        data={
            "reference": new.reference,
            "rollback_of": original.reference if original is not None else None,
            "model": version.instance_type._meta.label_lower if version is not None else None,
            "history_id": version.history_id if version is not None else None,
            "items": len(diff.items),
        },
    )
    return new


def rollback_mark_original(*, ticket: Ticket, by: User | None) -> Ticket | None:
    """Called by apply.services.ticket_apply inside its transaction, right after `ticket`
    became applied: if it rolls back an applied or closed ticket, that ticket becomes
    `rolled_back`. Never raises for a ticket that is something else by now (the profile
    write stands; the original just keeps its state)."""
    if ticket.rollback_of_id is None:
        return None
    original = Ticket.objects.select_for_update().get(pk=ticket.rollback_of_id)
    if original.state not in rules.ROLLABLE_STATES:
        return None
    transition(
        ticket=original,
        to=State.ROLLED_BACK,
        by=by,
        reason=_("Rolled back by %(reference)s.") % {"reference": ticket.reference},
        service=True,
    )
    audit_record(
        action="rollback.applied",
        actor=by,
        client=ticket.client,
        target=original,
        data={"reference": original.reference, "rollback": ticket.reference},
    )
    return original
