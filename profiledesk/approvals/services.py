"""Writes of the approvals capability: submit, approve, reject, void.

Every service locks the ticket row first, re-reads what it decides on, and records an
audit event (who, when, the diff hash) and a timeline event. State moves go through
tickets.states.transition, the one module that changes a ticket's state.
"""

import datetime as dt

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import audit_record
from profiledesk.accounts.models import User
from profiledesk.policies.defaults import policy_for
from profiledesk.policies.services import risk_refresh
from profiledesk.policies.sla import sla_due
from profiledesk.tickets.claims import claim_problem
from profiledesk.tickets.models import ChangeItem, RiskLevel, State, Ticket, TicketEvent
from profiledesk.tickets.states import TransitionError, transition
from profiledesk.vault.cards import redact_card_numbers

from .models import Approval, ApprovalRound
from .rules import (
    checker_problem,
    frozen_problem,
    makers_of,
    plan_for,
    security_reviewed,
    submit_problem,
    ticket_diff_hash,
    verification_problem,
    verification_snapshot,
)

TIER_NAMES = {
    1: gettext_lazy("tier 1 (supervisor)"),
    2: gettext_lazy("tier 2 (compliance)"),
}


class ApprovalError(Exception):
    """A decision that cannot be made now; the message is safe to show."""


def _note(ticket: Ticket, by: User | None, message: str) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, at=timezone.now(), actor=by, kind=TicketEvent.Kind.NOTE, message=message
    )


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().select_related("client").get(pk=ticket.pk)


def _sync(ticket: Ticket, locked: Ticket) -> None:
    for name in ("state", "updated_at", "risk_level", "risk_score", "risk_reasons"):
        setattr(ticket, name, getattr(locked, name))


def open_round(ticket: Ticket) -> ApprovalRound | None:
    return ApprovalRound.objects.filter(
        ticket_id=ticket.pk, status=ApprovalRound.Status.OPEN
    ).first()


@transaction.atomic
def approval_submit(*, ticket: Ticket, by: User) -> Ticket:
    """Send a ready ticket for approval: re-assess its risk; a critical score sends it to
    the security queue instead; a frozen profile or a cooling-off period refuses."""
    locked = _lock(ticket)
    problem = claim_problem(locked, by)
    if problem:
        raise TransitionError(problem)
    if locked.state != State.READY:
        raise ApprovalError(_("Only a ready ticket can be submitted for approval."))
    problem = frozen_problem(locked) or verification_problem(locked)
    if problem:
        raise ApprovalError(problem)
    risk_refresh(ticket=locked)
    # Security returned it to the flow after reviewing it: it is not sent back again.
    if locked.risk_level == RiskLevel.CRITICAL and not security_reviewed(locked):
        # Each reason is a sentence of its own (it ends with a full stop).
        reasons = " ".join(r["reason"] for r in locked.risk_reasons)
        transition(
            ticket=locked,
            to=State.ESCALATED,
            by=by,
            reason=_("Critical risk score (%(score)d) on submit: %(reasons)s")
            % {"score": locked.risk_score, "reasons": reasons},
        )
        audit_record(
            action="ticket.escalated",
            actor=by,
            client=locked.client,
            target=locked,
            data={"reference": locked.reference, "risk_score": locked.risk_score},
        )
        _sync(ticket, locked)
        return locked
    problem = submit_problem(locked)
    if problem:
        raise TransitionError(problem)
    transition(ticket=locked, to=State.PENDING_APPROVAL, by=by, service=True)
    approval_round = _round_create(locked, by=by)
    plan, digest = approval_round, approval_round.diff_hash
    audit_record(
        action="approval.submitted",
        actor=by,
        client=locked.client,
        target=locked,
        data={
            "reference": locked.reference,
            "round": approval_round.pk,
            "tiers": plan.tiers_needed,
            "per_tier": plan.per_tier,
            "diff_hash": digest,
        },
    )
    _sync(ticket, locked)
    return locked


def _tier_due(locked: Ticket, start: dt.datetime) -> dt.datetime:
    """When a tier that starts waiting at `start` is due: the policy's approval SLA on
    the client's calendar."""
    policy = policy_for(client=locked.client, category=locked.category)
    return sla_due(client=locked.client, start=start, minutes=policy.approval_sla_minutes)


def _round_create(locked: Ticket, *, by: User | None) -> ApprovalRound:
    """The round of a ticket entering pending_approval. (`by` None: the ticket reached
    pending_approval without approval_submit, through the generic move form.)"""
    plan = plan_for(locked)
    now = timezone.now()
    return ApprovalRound.objects.create(
        ticket=locked,
        client=locked.client,
        tiers_needed=max(plan.tiers, 1),
        per_tier=plan.per_tier,
        current_tier=1,
        diff_hash=ticket_diff_hash(locked),
        submitted_by=by,
        submitted_at=now,
        tier_due_at=_tier_due(locked, now),
        verification=verification_snapshot(locked, now=now),
    )


def _void_if_stale(ticket: Ticket) -> bool:
    """Items changed after the round was submitted and nobody voided it: void now."""
    approval_round = open_round(ticket)
    if approval_round is None or approval_round.diff_hash == ticket_diff_hash(ticket):
        return False
    approvals_void(ticket=ticket, reason=_("a change item was edited after it was submitted"))
    return True


def _checked_round(locked: Ticket, by: User, diff_hash: str | None) -> ApprovalRound:
    if locked.state != State.PENDING_APPROVAL:
        raise ApprovalError(
            _("This ticket is not waiting for approval (it is “%(state)s”).")
            % {"state": locked.get_state_display()}
        )
    approval_round = open_round(locked) or _round_create(locked, by=None)
    if diff_hash is not None and diff_hash != approval_round.diff_hash:
        raise ApprovalError(_("The change was edited after you opened it: look at it again."))
    decided = set(
        Approval.objects.filter(ticket_id=locked.pk, voided_at__isnull=True).values_list(
            "approver_id", flat=True
        )
    )
    problem = checker_problem(
        ticket=locked,
        user=by,
        tier=approval_round.current_tier,
        makers=makers_of(locked),
        decided=decided,
    )
    if problem:
        raise ApprovalError(problem)
    return approval_round


def _audit_decision(action: str, approval: Approval, locked: Ticket, by: User) -> None:
    audit_record(
        action=action,
        actor=by,
        client=locked.client,
        target=locked,
        data={
            "reference": locked.reference,
            "approval": approval.pk,
            "tier": approval.tier,
            "diff_hash": approval.diff_hash,
            "decided_at": approval.decided_at.isoformat(),
        },
    )


def approval_grant(*, ticket: Ticket, by: User, diff_hash: str | None = None) -> Approval:
    """Record `by`'s approval at the tier the ticket waits at; when the last one needed
    is in, the ticket becomes approved. `diff_hash`: the diff the approver looked at."""
    if _void_if_stale(ticket):
        raise ApprovalError(
            _(
                "The change was edited after it was submitted: its approvals are void and it "
                "is back to ready."
            )
        )
    with transaction.atomic():
        locked = _lock(ticket)
        approval_round = _checked_round(locked, by, diff_hash)
        problem = frozen_problem(locked)
        if problem:
            raise ApprovalError(problem)
        tier = approval_round.current_tier
        approval = Approval.objects.create(
            ticket=locked,
            round=approval_round,
            tier=tier,
            approver=by,
            decision=Approval.Decision.APPROVED,
            diff_hash=approval_round.diff_hash,
            decided_at=timezone.now(),
        )
        _audit_decision("approval.granted", approval, locked, by)
        given = Approval.objects.filter(
            round=approval_round, tier=tier, voided_at__isnull=True
        ).count()
        _note(
            locked,
            by,
            _("Approved at %(tier)s (%(given)d of %(needed)d).")
            % {"tier": TIER_NAMES[tier], "given": given, "needed": approval_round.per_tier},
        )
        if given >= approval_round.per_tier:
            if tier < approval_round.tiers_needed:
                approval_round.current_tier = tier + 1
                approval_round.tier_due_at = _tier_due(locked, approval.decided_at)
                approval_round.save(update_fields=["current_tier", "tier_due_at"])
                _note(
                    locked,
                    None,
                    _("Waiting for approval at %(tier)s.") % {"tier": TIER_NAMES[tier + 1]},
                )
            else:
                approval_round.status = ApprovalRound.Status.APPROVED
                approval_round.current_tier = 0
                approval_round.closed_at = timezone.now()
                approval_round.save(update_fields=["status", "current_tier", "closed_at"])
                transition(ticket=locked, to=State.APPROVED, by=by, service=True)
    _sync(ticket, locked)
    return approval


def approval_reject(
    *, ticket: Ticket, by: User, reason: str, diff_hash: str | None = None
) -> Approval:
    """Reject at the tier the ticket waits at, with a reason recorded on the ticket. A
    rejected ticket is final: the customer's request is reopened as a new ticket."""
    reason = redact_card_numbers((reason or "").strip())
    if not reason:
        raise ApprovalError(_("Give a reason."))
    with transaction.atomic():
        locked = _lock(ticket)
        approval_round = _checked_round(locked, by, diff_hash)
        now = timezone.now()
        approval = Approval.objects.create(
            ticket=locked,
            round=approval_round,
            tier=approval_round.current_tier,
            approver=by,
            decision=Approval.Decision.REJECTED,
            reason=reason,
            diff_hash=approval_round.diff_hash,
            decided_at=now,
        )
        _audit_decision("approval.rejected", approval, locked, by)
        approval_round.status = ApprovalRound.Status.REJECTED
        approval_round.current_tier = 0
        approval_round.closed_at = now
        approval_round.save(update_fields=["status", "current_tier", "closed_at"])
        transition(
            ticket=locked,
            to=State.REJECTED,
            by=by,
            reason=_("Rejected at %(tier)s: %(reason)s")
            % {"tier": TIER_NAMES[approval.tier], "reason": reason},
            service=True,
        )
    _sync(ticket, locked)
    return approval


@transaction.atomic
def approvals_void(*, ticket: Ticket, reason: str, by: User | None = None) -> int:
    """Void every standing approval on the ticket (call it whenever a change item is
    edited): the open round closes and a ticket waiting for or past approval goes back
    to `ready`, with a timeline event saying why. Returns how many were voided."""
    locked = _lock(ticket)
    now = timezone.now()
    reason = redact_card_numbers(reason.strip())[:300]
    # Approval is not history-tracked: a conditional UPDATE is the honest write here.
    voided = Approval.objects.filter(ticket_id=locked.pk, voided_at__isnull=True).update(
        voided_at=now, void_reason=reason
    )
    rounds = ApprovalRound.objects.filter(
        ticket_id=locked.pk, status__in=[ApprovalRound.Status.OPEN, ApprovalRound.Status.APPROVED]
    ).update(status=ApprovalRound.Status.VOIDED, current_tier=0, closed_at=now)
    message = _("Approvals voided: %(reason)s") % {"reason": reason}
    if locked.state in (State.PENDING_APPROVAL, State.APPROVED):
        transition(ticket=locked, to=State.READY, by=by, reason=message, service=True)
    elif voided or rounds:
        _note(locked, by, message)
    if voided or rounds:
        audit_record(
            action="approval.voided",
            actor=by,
            client=locked.client,
            target=locked,
            data={
                "reference": locked.reference,
                "voided": voided,
                "reason": reason,
                "diff_hash": ticket_diff_hash(locked),
            },
        )
    _sync(ticket, locked)
    return voided


@transaction.atomic
def avatar_viewed(*, item: ChangeItem, staff: User, request: HttpRequest | None = None) -> None:
    """Looking at the picture a ticket asks to set is evidence of the moderation: audited
    (ticket and item, never the file name or content)."""
    ticket = item.ticket
    audit_record(
        action="approvals.avatar_viewed",
        actor=staff,
        client=ticket.client,
        target=ticket,
        data={"ticket": ticket.reference, "item": item.pk},
        request=request,
    )
