"""What approvals need and who may give them: the reads behind the services and the
buttons (the rules this app registers with tickets.states, apps.py).

- `diff_hash(items)`: SHA-256 over the change items (section, field, target_id,
  new_value) in their order — what an approval signs.
- `plan_for(ticket)`: the tiers and approvers per tier the ticket needs now
  (`plan_from`: the same from a policy, without queries).
- `makers_of(ticket)`: who created, verified, edited or submitted it (maker ≠ checker).
- `cooling_off(ticket)`: a recent applied contact change that holds this ticket back.
- `submit_problem`: what approval_submit checks under the lock; `submit_offer_problem`:
  whether the "Submit for approval" button is offered; `verify_again_problem`: whether
  "Verify again" is (the rules of those moves in tickets.states).
"""

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from profiledesk.accounts.models import User
from profiledesk.policies.defaults import policy_for
from profiledesk.policies.models import Policy
from profiledesk.tickets.models import ChangeItem, RiskLevel, State, Ticket, TicketEvent
from verification.methods import label as method_label
from verification.methods import method
from verification.models import Attempt, DocumentCheck, Purpose, Result, Waiver
from verification.status import achieved_level, progress, validity, verification_missing
from verification.waivers import waiver_standing

TIER_PERMISSIONS = {1: "approvals.approve_tier1", 2: "approvals.approve_tier2"}
MAX_TIERS = 2
AL3 = 3
# Ticket categories a recent contact change holds back (docs/design.md §5: the takeover sequence).
COOLING_CATEGORIES = {"security", "billing"}
# Timeline events (TicketEvent.to_state) the rules look for.
APPLIED = State.APPLIED.value
ESCALATED = State.ESCALATED.value
READY = State.READY.value


def diff_hash(items: Iterable[ChangeItem]) -> str:
    rows = [
        [item.section, item.field, item.target_id, item.new_value]
        for item in sorted(items, key=lambda item: (item.position, item.pk or 0))
    ]
    payload = json.dumps(rows, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def ticket_diff_hash(ticket: Ticket) -> str:
    return diff_hash(ChangeItem.objects.filter(ticket_id=ticket.pk).order_by("position", "id"))


@dataclass(frozen=True)
class Plan:
    tiers: int  # 0: no approval needed
    per_tier: int
    reasons: tuple[str, ...] = ()


def plan_for(
    ticket: Ticket, *, items: list[ChangeItem] | None = None, now: dt.datetime | None = None
) -> Plan:
    """The policy's tiers, tier 1 for a field the policy names, for a cooling-off lifted
    at AL3 and for an AL3 document one person handled; one more for high risk."""
    policy = policy_for(client=ticket.client, category=ticket.category)
    if items is None:
        items = list(ticket.items.all())
    held = cooling_off(ticket, now=now)
    return plan_from(
        policy=policy,
        fields={item.field for item in items},
        risk_level=ticket.risk_level,
        waived=waiver_standing(ticket) is not None,
        cooling_off_after=held.reference if held else "",
        # Only asked in a cooling-off: the reason says "verified at AL3" only when it is.
        cooling_off_lifted=held is not None and achieved_level(ticket, now) >= AL3,
        single_handed_document=single_handed_document(ticket),
    )


def plan_from(
    *,
    policy: Policy,
    fields: set[str],
    risk_level: str,
    waived: bool = False,
    cooling_off_after: str = "",
    cooling_off_lifted: bool = True,
    single_handed_document: bool = False,
) -> Plan:
    """plan_for without queries: what `policy` asks of a change to `fields` at a risk
    level (the demo seed plans its rounds with it). `cooling_off_after`: the reference of
    the contact change whose cooling-off the ticket is in (AL3 lifts it only together with
    a second person's approval, docs/design.md §5); `cooling_off_lifted`: the ticket is verified at
    AL3 now (else the reason does not claim it); `single_handed_document`: its AL3 rests on a
    document one person both uploaded and ticked."""
    tiers = policy.approval_tiers
    reasons = []
    if tiers:
        reasons.append(_("the client's policy for this category"))
    named = fields & set(policy.approval_fields)
    if named and tiers < 1:
        tiers = 1
        reasons.append(_("a field that always needs approval"))
    # Nobody heard the customer: a second person checks the rollback instead.
    if waived and tiers < 1:
        tiers = 1
        reasons.append(_("verification was waived"))
    # AL3 during a cooling-off is a second person's decision, never the agent's alone;
    # the approver is told why even when the policy asks for the tier anyway.
    if cooling_off_after:
        tiers = max(tiers, 1)
        reasons.append(
            (
                _("verified at AL3 during the cooling-off after %(reference)s")
                if cooling_off_lifted
                else _(
                    "the cooling-off after %(reference)s, which only AL3 and a second "
                    "person's approval lift"
                )
            )
            % {"reference": cooling_off_after}
        )
    if single_handed_document:
        tiers = max(tiers, 1)
        reasons.append(_("the identity document was uploaded and checked by one person"))
    if risk_level in (RiskLevel.HIGH, RiskLevel.CRITICAL):
        tiers += 1
        reasons.append(_("high risk"))
    return Plan(
        tiers=min(tiers, MAX_TIERS), per_tier=policy.approvers_per_tier, reasons=tuple(reasons)
    )


def makers_of(ticket: Ticket) -> set[int]:
    """Ids of staff who created, verified, edited or submitted the ticket (four queries)."""
    makers = {ticket.created_by_id}
    makers.update(
        TicketEvent.objects.filter(ticket_id=ticket.pk)
        .filter(kind=TicketEvent.Kind.CREATED)
        .values_list("actor_id", flat=True)
    )
    # Marking it verified and submitting it are part of making it.
    makers.update(
        TicketEvent.objects.filter(
            ticket_id=ticket.pk,
            kind=TicketEvent.Kind.TRANSITION,
            to_state__in=[State.READY, State.PENDING_APPROVAL],
        ).values_list("actor_id", flat=True)
    )
    makers.update(
        ChangeItem.history.filter(ticket_id=ticket.pk).values_list("history_user_id", flat=True)
    )
    makers.update(_verifiers(ticket.pk))
    makers.discard(None)
    return cast("set[int]", makers)  # None (a system step) discarded above


def _verifiers(ticket_id: int) -> set[int]:
    """Who recorded verification evidence, checked an identity document, or waived
    verification (a rollback ticket): one query."""
    attempts = Attempt.objects.filter(ticket_id=ticket_id).order_by().values_list("staff_id")
    documents = (
        DocumentCheck.objects.filter(ticket_id=ticket_id).order_by().values_list("checked_by_id")
    )
    waivers = Waiver.objects.filter(ticket_id=ticket_id).order_by().values_list("by_id")
    return {staff_id for (staff_id,) in attempts.union(documents, waivers)}


def single_handed_document(ticket: Ticket) -> bool:
    """A security or billing ticket whose passed identity document was uploaded and ticked
    by the same person (one query; none for other categories). A check that records its
    uploader apart (`uploaded_by`) counts as two people when they differ."""
    if ticket.category not in COOLING_CATEGORIES or ticket.pk is None:
        return False
    checks = DocumentCheck.objects.filter(ticket_id=ticket.pk, result=Result.PASSED)
    return any(
        getattr(check, "uploaded_by_id", check.checked_by_id) == check.checked_by_id
        for check in checks
    )


@dataclass(frozen=True)
class CoolingOff:
    until: dt.datetime
    applied_at: dt.datetime
    reference: str

    def message(self) -> str:
        return _(
            "The customer's contact details were changed by %(reference)s on %(when)s; "
            "security and billing changes wait until %(until)s unless the caller is "
            "verified at AL3."
        ) % {
            "reference": self.reference,
            "when": formats.date_format(timezone.localtime(self.applied_at), "j M Y H:i"),
            "until": formats.date_format(timezone.localtime(self.until), "j M Y H:i"),
        }


def cooling_off(ticket: Ticket, *, now: dt.datetime | None = None) -> CoolingOff | None:
    """The last contact change applied for this customer within the policy's cooling-off
    period, when the ticket is a security or billing change; None otherwise. A rollback
    compliance waived (approved by someone else before it applies) gives earlier values
    back: holding it would keep a takeover's card or answer in place."""
    if ticket.customer_id is None or ticket.category not in COOLING_CATEGORIES:
        return None
    if waiver_standing(ticket) is not None:
        return None
    hours = policy_for(client=ticket.client, category=ticket.category).cooling_off_hours
    if not hours:
        return None
    now = now or timezone.now()
    period = dt.timedelta(hours=hours)
    applied = (
        TicketEvent.objects.filter(
            ticket__customer_id=ticket.customer_id,
            ticket__state__in=[State.APPLIED, State.CLOSED],
            ticket__items__section="contact",
            to_state=APPLIED,
            at__gt=now - period,
        )
        .exclude(ticket_id=ticket.pk)
        .order_by("-at")
        .values_list("at", "ticket__reference")
        .first()
    )
    if applied is None:
        return None
    return CoolingOff(
        until=applied[0] + period, applied_at=applied[0], reference=cast("str", applied[1])
    )  # applied: numbered


def frozen_problem(ticket: Ticket) -> str | None:
    customer = ticket.customer
    if customer is not None and customer.frozen_at is not None:
        return _(
            "The customer's profile is frozen; it accepts no change until security "
            "lifts the freeze."
        )
    return None


def cooling_off_problem(
    ticket: Ticket, *, now: dt.datetime | None = None, level: int | None = None
) -> str | None:
    """A cooling-off that holds the ticket and that its verification does not lift: AL3
    now, or `level` (the AL a submitted ticket was verified at, recorded on its round)."""
    held = cooling_off(ticket, now=now)
    if held is None:
        return None
    if (achieved_level(ticket, now) if level is None else level) >= AL3:
        return None
    return held.message()


def security_reviewed(ticket: Ticket) -> bool:
    """Security returned the ticket to the flow after reviewing it (escalated -> ...), and
    the ticket carries no risk reason now that it did not carry, with as many points, when
    security returned it: a look at a harmless card change does not clear the takeover
    sequence that came after it (issue 11). Two queries."""
    returned = (
        TicketEvent.objects.filter(ticket_id=ticket.pk, from_state=ESCALATED)
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )
    if returned is None:
        return False
    seen = (
        Ticket.history.filter(id=ticket.pk, history_date__lte=returned)
        .order_by("-history_date", "-history_id")
        .values_list("risk_reasons", flat=True)
        .first()
    )
    points = {reason["rule"]: reason["points"] for reason in seen or []}
    return all(points.get(reason["rule"], -1) >= reason["points"] for reason in ticket.risk_reasons)


def verification_problem(ticket: Ticket, *, now: dt.datetime | None = None) -> str | None:
    """Why the verification a ready ticket was marked verified on no longer holds, or None.
    A verification is valid 30 minutes (docs/design.md §4): a ticket applied without approval, or
    submitted for one, needs it valid at that moment (an approved ticket relies on the
    verification its round recorded when it was submitted)."""
    now = now or timezone.now()
    missing = verification_missing(ticket, now)
    if missing is None:
        return None
    marked = (
        TicketEvent.objects.filter(
            ticket_id=ticket.pk, kind=TicketEvent.Kind.TRANSITION, to_state=READY
        )
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )
    until = progress(ticket, marked).valid_until if marked else None
    if until is not None and until <= now:
        return _("Verification expired at %(time)s: verify the caller again.") % {
            "time": timezone.localtime(until).strftime("%H:%M")
        }
    return missing


def verification_snapshot(ticket: Ticket, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The verification a ticket is submitted on, as its round keeps it (JSON): level and
    level required, methods, when and by whom each passed, valid until; or the waiver."""
    now = now or timezone.now()
    waiver = waiver_standing(ticket)
    if waiver is not None:
        return {
            "waived": True,
            "by": str(waiver.by),
            "at": waiver.at.isoformat(),
            "level": 0,
            "required": 0,
            "methods": [],
        }
    state = progress(ticket, now)
    passes = (
        Attempt.objects.filter(
            ticket_id=ticket.pk,
            purpose=Purpose.IDENTITY,
            result=Result.PASSED,
            method__in=sorted(state.passed),
            at__gt=now - validity(),
            at__lte=now,
        )
        .select_related("staff", "challenge__email", "challenge__phone")
        .order_by("at", "id")
    )
    by_method: dict[str, dict[str, Any]] = {}
    for attempt in passes:  # the newest pass of each method
        plugin = method(attempt.method)
        by_method[attempt.method] = {
            "method": attempt.method,
            "label": method_label(attempt.method),
            # What the approver weighs: the evidence (masked, ids) and what it proves.
            "evidence": plugin.evidence(attempt) if plugin is not None else "",
            "proves": str(plugin.proves) if plugin is not None else "",
            "at": attempt.at.isoformat(),
            "by": str(attempt.staff) if attempt.staff else "",
        }
    return {
        "waived": False,
        "level": state.achieved,
        "required": state.required,
        "methods": [by_method[m] for m in sorted(by_method)],
        "verified_at": max((row["at"] for row in by_method.values()), default=None),
        "valid_until": state.valid_until.isoformat() if state.valid_until else None,
        "recorded_at": now.isoformat(),
    }


def submit_problem(ticket: Ticket) -> str | None:
    """What keeps a ready ticket that approval_submit has found unfrozen, verified and
    not critical from going for approval (checked under its lock)."""
    problem = cooling_off_problem(ticket)
    if problem:
        return problem
    # A change that needs no approval may still be sent to a second person; the plan
    # includes the tier that a cooling-off lifted at AL3 needs (plan_for).
    if plan_for(ticket).tiers == 0:
        return _("This change needs no approval: apply it.")
    return None


def submit_offer_problem(ticket: Ticket) -> str | None:
    """Rule of ready -> pending_approval (tickets.states): whether the "Submit for
    approval" button is offered. A critical ticket is not: the desk escalates it."""
    problem = frozen_problem(ticket)
    if problem:
        return problem
    if ticket.risk_level == RiskLevel.CRITICAL:
        # approvals.services.approval_submit sends it to security instead.
        return _("The risk is critical: submitting sends the ticket to security.")
    return submit_problem(ticket)


def verify_again_problem(ticket: Ticket) -> str | None:
    """Rule of ready -> verifying ("Verify again"): a ready ticket whose verification has
    expired (30 minutes), or that a cooling-off now holds below AL3, cannot be applied
    or submitted, so the caller is verified again."""
    if verification_missing(ticket) is None and cooling_off_problem(ticket) is None:
        return _("The caller's verification still holds.")
    return None


def tier_of(user: User, tier: int) -> bool:
    return tier in TIER_PERMISSIONS and user.has_perm(TIER_PERMISSIONS[tier])


def checker_problem(
    *, ticket: Ticket, user: User, tier: int, makers: set[int], decided: set[int]
) -> str | None:
    """Why `user` cannot decide at `tier` of `ticket`, or None. `makers`: makers_of;
    `decided`: ids of staff with a standing decision on the ticket."""
    if not tier_of(user, tier):
        return _("Your role cannot approve at tier %(tier)d.") % {"tier": tier}
    if user.pk in makers:
        return _("You created, verified or edited this ticket: someone else must approve it.")
    # The one working it (a supervisor who took it over included) is a maker too.
    if user.pk == ticket.assignee_id:
        return _("This ticket is assigned to you: someone else must approve it.")
    if user.pk in decided:
        return _("You have already approved this change.")
    return None
