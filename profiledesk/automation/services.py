"""Writes of straight-through processing: trying a ticket, and the kill switch.

`straight_through_try` locks the ticket's row and, when `rules.hold_reason` finds
nothing, moves it as the desk itself (by=None) through the same steps a person uses:
`transition` to verifying, `verification_complete` (ready), `ticket_apply` — each checks
its own rule again under the lock, so cooling-off, freezes, the takeover sequence and
the approval plan hold exactly as for people. The profile's history names the machine and
its evidence ("automatic (API key …, assertion …): <reference> applied"); propagation and
confirmations are apply's. Anything short of that leaves the ticket where it was, in the
queue, with a timeline note saying what was seen and why it stopped.

Idempotent: one try per (ticket, evidence pass), and at most one automatic apply per
ticket (the models' constraints; the row lock makes the second of two concurrent tries
see the first's outcome).
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from profiledesk.accounts.models import User
from profiledesk.apply.services import ApplyError, ticket_apply
from profiledesk.clients.models import Client
from profiledesk.policies.services import risk_refresh
from profiledesk.tickets.models import State, Ticket, TicketEvent
from profiledesk.tickets.states import TransitionError, transition
from verification.methods import method
from verification.models import Attempt
from verification.services import verification_complete

from .models import AutomationSwitch, StraightThroughTry
from .rules import CANDIDATE_STATES, hold_reason, switch_on_problem, switch_problem
from .selectors import already_tried, api_key_name, identity_passes

logger = logging.getLogger(__name__)

# simple-history's change reason holds 100 characters.
_REASON_MAX = 100
# Keys of a pass's detail that name the evidence (ids only, never a secret): a client
# app's assertion (its jti), an identity provider's session or decision.
_EVIDENCE_IDS = ("jti", "session", "session_id", "decision", "decision_id")


def _plain(text: str) -> str:
    """`text` with anything unprintable (a NUL, a line break, a bidi override) as "?": a
    key's name or an evidence id is shown in history, on the timeline and in exports."""
    return "".join(char if char.isprintable() else "?" for char in text)


@dataclass(frozen=True)
class Outcome:
    applied: bool
    reason: str  # why it was held, or the evidence it was applied on


def evidence_short(attempt: Attempt) -> str:
    """ "assertion 1f3a9c2e", "provider sess_42": the method's code and the short id of
    what it recorded (or the pass's own id)."""
    detail = attempt.detail if isinstance(attempt.detail, dict) else {}
    ident = next((str(detail[key]) for key in _EVIDENCE_IDS if detail.get(key)), "")
    return _plain(f"{attempt.method} {ident[:12] or f'#{attempt.pk}'}")


def evidence_line(attempt: Attempt) -> str:
    """The registered method's own line for the evidence, else its short name."""
    registered = method(attempt.method)
    short = evidence_short(attempt)
    if registered is None:
        return short
    return f"{registered.evidence(attempt)} ({short})"


def history_reason(*, ticket: Ticket, key_name: str, passes: list[Attempt]) -> str:
    """What the profile's history rows say instead of a staff member. It ends with
    "<reference> applied", as every apply's does (verification.status reads that to tell
    a contact a ticket added from one that came with the customer)."""
    tail = f"): {ticket.reference} applied"
    evidence = ", ".join(evidence_short(attempt) for attempt in passes)
    head = f"automatic (API key {_plain(key_name[:30])}, {evidence}"
    return head[: _REASON_MAX - len(tail)] + tail


def _note(ticket: Ticket, message: str, now: dt.datetime) -> None:
    TicketEvent.objects.create(
        ticket=ticket, at=now, actor=None, kind=TicketEvent.Kind.NOTE, message=message
    )


def _held(*, ticket: Ticket, attempt_id: int | None, reason: str, passes: list[Attempt]) -> Outcome:
    now = timezone.now()
    seen = "; ".join(evidence_line(attempt) for attempt in passes) or _("none")
    _note(
        ticket,
        _("Not applied automatically: %(reason)s. Evidence seen: %(evidence)s.")
        % {"reason": reason, "evidence": seen},
        now,
    )
    StraightThroughTry.objects.create(
        ticket=ticket,
        client_id=ticket.client_id,
        attempt_id=attempt_id,
        at=now,
        outcome=StraightThroughTry.Outcome.HELD,
        reason=reason[:300],
    )
    return Outcome(applied=False, reason=reason)


def straight_through_try(*, ticket_id: int, attempt_id: int | None = None) -> Outcome | None:
    """Apply the ticket without an agent if nothing holds it back, else leave it in the
    queue with a note. None: nothing to do (no such ticket, no longer waiting, a pass
    that is not this ticket's, or this pass was already tried)."""
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("client", "customer")
            .filter(pk=ticket_id)
            .first()
        )
        if ticket is None or ticket.state not in CANDIDATE_STATES:
            return None
        if attempt_id is not None and (
            # The signal carries ids only: a pass of another ticket (of another client,
            # maybe) neither tries this one nor uses up that pass's one try.
            not Attempt.objects.filter(pk=attempt_id, ticket_id=ticket.pk).exists()
            or already_tried(ticket_id=ticket.pk, attempt_id=attempt_id)
        ):
            return None
        passes = identity_passes(ticket)
        off = switch_problem(ticket)
        if off:  # the kill switch: nothing else is looked at, nothing re-assessed
            return _held(ticket=ticket, attempt_id=attempt_id, reason=off, passes=passes)
        # The customer's other tickets may have moved since intake (the takeover sequence).
        risk_refresh(ticket=ticket)
        reason = hold_reason(ticket, passes=passes)
        if reason:
            return _held(ticket=ticket, attempt_id=attempt_id, reason=reason, passes=passes)
        key_name = _plain(api_key_name(ticket) or "?")
        try:
            with transaction.atomic():
                if ticket.state == State.NEW:
                    transition(ticket=ticket, to=State.VERIFYING, by=None, service=True)
                verification_complete(ticket=ticket, by=None)
                ticket_apply(
                    ticket=ticket,
                    by=None,
                    history_reason=history_reason(ticket=ticket, key_name=key_name, passes=passes),
                )
        except (ApplyError, TransitionError) as error:
            # A step's own rule refused: nothing of the moves stays (the savepoint).
            ticket.refresh_from_db(fields=["state"])
            return _held(ticket=ticket, attempt_id=attempt_id, reason=str(error), passes=passes)
        return _applied(ticket=ticket, attempt_id=attempt_id, key_name=key_name, passes=passes)


def _applied(
    *, ticket: Ticket, attempt_id: int | None, key_name: str, passes: list[Attempt]
) -> Outcome:
    now = timezone.now()
    evidence = "; ".join(evidence_line(attempt) for attempt in passes)
    _note(
        ticket,
        _("Applied automatically: sent with API key %(key)s, verified by %(evidence)s.")
        % {"key": key_name, "evidence": evidence},
        now,
    )
    StraightThroughTry.objects.create(
        ticket=ticket,
        client_id=ticket.client_id,
        attempt_id=attempt_id,
        at=now,
        outcome=StraightThroughTry.Outcome.APPLIED,
        reason=evidence[:300],
    )
    audit_record(
        action="automation.applied",
        client=ticket.client,
        target=ticket,
        data={
            "reference": ticket.reference,
            "category": ticket.category,
            "key_name": key_name,
            "evidence": [
                {"method": attempt.method, "attempt": attempt.pk, "id": evidence_short(attempt)}
                for attempt in passes
            ],
        },
    )
    return Outcome(applied=True, reason=evidence)


@transaction.atomic
def switch_set(
    *,
    client: Client,
    category: str,
    enabled: bool,
    by: User | None,
    request: HttpRequest | None = None,
) -> AutomationSwitch:
    """Turn automation on or off for a client's category; audited when it changes.
    ValidationError when the category may not be automated (`rules.switch_on_problem`);
    switching off is always allowed."""
    if enabled:
        problem = switch_on_problem(client=client, category=category)
        if problem:
            raise ValidationError(problem[:1].upper() + problem[1:] + ".", code="not_automatable")
    switch = (
        AutomationSwitch.objects.select_for_update()
        .filter(client=client, category=category)
        .first()
    )
    if switch is not None and switch.enabled == enabled:
        return switch  # nothing changed: nothing to record
    switch = switch or AutomationSwitch(client=client, category=category)
    switch.enabled = enabled
    switch.changed_at = timezone.now()
    switch.changed_by = by
    switch._change_reason = "switched on" if enabled else "switched off"  # type: ignore[attr-defined]
    switch.save()
    audit_record(
        action="automation.switched_on" if enabled else "automation.switched_off",
        actor=by,
        client=client,
        target=switch,
        data={"category": category},
        request=request,
    )
    return switch
