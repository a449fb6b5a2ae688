"""What approvals need and who may give them: the reads behind the services, the
state machine's guards (tickets.states) and the buttons.

- `diff_hash(items)`: SHA-256 over the change items (section, field, target_id,
  new_value) in their order — what an approval signs.
- `plan_for(ticket)`: the tiers and approvers per tier the ticket needs now
  (`plan_from`: the same from a policy, without queries).
- `makers_of(ticket)`: who created, verified, edited or submitted it (maker ≠ checker).
- `cooling_off(ticket)`: a recent applied contact change that holds this ticket back.
- `submit_problem` / `decision_only` are guards of the moves in tickets.states.
"""

import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from profiledesk.policies.defaults import policy_for
from profiledesk.policies.models import Policy
from profiledesk.tickets.models import ChangeItem, RiskLevel, State, Ticket, TicketEvent
from verification.waivers import waiver_standing

TIER_PERMISSIONS = {1: "approvals.approve_tier1", 2: "approvals.approve_tier2"}
MAX_TIERS = 2
AL3 = 3
# Ticket categories a recent contact change holds back (DESIGN 5: the takeover sequence).
COOLING_CATEGORIES = {"security", "billing"}
# Timeline events (TicketEvent.to_state) the rules look for.
APPLIED = State.APPLIED.value

# Set while an approvals service makes a move: the moves that record a decision or a
# voided approval are not buttons of the generic move form.
_in_service: ContextVar[bool] = ContextVar("approvals_in_service", default=False)


@contextlib.contextmanager
def service_move() -> Iterator[None]:
    token = _in_service.set(True)
    try:
        yield
    finally:
        _in_service.reset(token)


def decision_only(ticket: Ticket) -> str | None:
    """Guard of the moves only the approvals services make (approved, rejected, voided)."""
    if _in_service.get():
        return None
    return _("Approve or reject from the approval panel.")


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


def plan_for(ticket: Ticket, *, items: list[ChangeItem] | None = None) -> Plan:
    """The policy's tiers, tier 1 for a field the policy names, one more for high risk."""
    policy = policy_for(client=ticket.client, category=ticket.category)
    if items is None:
        items = list(ticket.items.all())
    return plan_from(
        policy=policy,
        fields={item.field for item in items},
        risk_level=ticket.risk_level,
        waived=waiver_standing(ticket) is not None,
    )


def plan_from(*, policy: Policy, fields: set[str], risk_level: str, waived: bool = False) -> Plan:
    """plan_for without queries: what `policy` asks of a change to `fields` at a risk
    level (the demo seed plans its rounds with it)."""
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
    return makers


def _verifiers(ticket_id: int) -> set[int]:
    """Who recorded verification evidence, or waived verification (a rollback ticket):
    one query."""
    from verification.models import Attempt, Waiver

    attempts = Attempt.objects.filter(ticket_id=ticket_id).order_by().values_list("staff_id")
    waivers = Waiver.objects.filter(ticket_id=ticket_id).order_by().values_list("by_id")
    return {staff_id for (staff_id,) in attempts.union(waivers)}


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
    return CoolingOff(until=applied[0] + period, applied_at=applied[0], reference=applied[1])


def frozen_problem(ticket: Ticket) -> str | None:
    customer = ticket.customer
    if customer is not None and customer.frozen_at is not None:
        return _(
            "The customer's profile is frozen; it accepts no change until security "
            "lifts the freeze."
        )
    return None


def cooling_off_problem(ticket: Ticket, *, now: dt.datetime | None = None) -> str | None:
    held = cooling_off(ticket, now=now)
    if held is None:
        return None
    from verification.status import achieved_level

    if achieved_level(ticket, now) >= AL3:
        return None
    return held.message()


def submit_problem(ticket: Ticket) -> str | None:
    """Guard of ready -> pending_approval."""
    problem = frozen_problem(ticket)
    if problem:
        return problem
    if ticket.risk_level == RiskLevel.CRITICAL and not _in_service.get():
        # approvals.services.approval_submit sends it to security instead.
        return _("The risk is critical: submitting sends the ticket to security.")
    if plan_for(ticket).tiers == 0:
        return _("This change needs no approval.")
    return cooling_off_problem(ticket)


def tier_of(user, tier: int) -> bool:
    return tier in TIER_PERMISSIONS and user.has_perm(TIER_PERMISSIONS[tier])


def checker_problem(
    *, ticket: Ticket, user, tier: int, makers: set[int], decided: set[int]
) -> str | None:
    """Why `user` cannot decide at `tier` of `ticket`, or None. `makers`: makers_of;
    `decided`: ids of staff with a standing decision on the ticket."""
    if not tier_of(user, tier):
        return _("Your role cannot approve at tier %(tier)d.") % {"tier": tier}
    if user.pk in makers:
        return _("You created, verified or edited this ticket: someone else must approve it.")
    if user.pk in decided:
        return _("You have already approved this change.")
    return None
