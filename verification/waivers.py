"""Waiving identity verification for a rollback ticket (docs/design.md §7).

A rollback is asked for by compliance, usually with the customer nowhere near a phone:
nobody can read out a code. A compliance member (the rollback permission) records a
waiver with a reason instead; `status.verification_missing` then lets the floor mark the
ticket verified, and approvals, apply, propagation and confirmations follow as for any
ticket. Only rollback tickets can be waived, and only before they are verified.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from profiledesk.clients.scoping import client_ids_for
from profiledesk.rollback.models import is_rollback_ticket
from profiledesk.tickets.models import State, Ticket
from profiledesk.tickets.services import ticket_comment
from profiledesk.vault.cards import redact_card_numbers

from .models import Waiver

PERMISSION = "rollback.request_rollback"
WAIVABLE_STATES = (State.NEW, State.VERIFYING)


class WaiverError(Exception):
    """A waiver that cannot be recorded; the message is safe to show."""


@transaction.atomic
def verification_waive(*, ticket: Ticket, by, reason: str) -> Waiver:
    reason = redact_card_numbers((reason or "").strip())
    if not reason:
        raise WaiverError(_("Give the reason for waiving verification."))
    if not by.has_perm(PERMISSION):
        raise WaiverError(_("Only compliance can waive verification."))
    locked = Ticket.objects.select_for_update().select_related("client").get(pk=ticket.pk)
    if not is_rollback_ticket(locked):
        raise WaiverError(_("Verification can be waived only for a rollback ticket."))
    if locked.state not in WAIVABLE_STATES:
        raise WaiverError(
            _("Verification can be waived only before the ticket is verified; it is “%(state)s”.")
            % {"state": locked.get_state_display()}
        )
    if Waiver.objects.filter(ticket_id=locked.pk).exists():
        raise WaiverError(_("Verification is already waived for this ticket."))
    waiver = Waiver.objects.create(ticket=locked, by=by, reason=reason, at=timezone.now())
    ticket_comment(
        ticket=locked, by=by, body=_("Verification waived: %(reason)s") % {"reason": reason}
    )
    audit_record(
        action="verification.waived",
        actor=by,
        client=locked.client,
        target=locked,
        data={"reference": locked.reference},
    )
    return waiver


def waiver_standing(ticket: Ticket) -> Waiver | None:
    """The ticket's waiver if it still holds: a rollback ticket's, given by someone who
    still has the rollback permission and still serves the ticket's client."""
    if not is_rollback_ticket(ticket):  # no query for any other ticket
        return None
    waiver = Waiver.objects.filter(ticket_id=ticket.pk).select_related("by").first()
    if waiver is None or not waiver.by.has_perm(PERMISSION):
        return None
    if not client_ids_for(waiver.by).filter(client_id=ticket.client_id).exists():
        return None
    return waiver
