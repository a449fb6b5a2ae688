"""Reads of approvals: the approval queue and the ticket page's approval panel.

The queue is a keyset page of open approval rounds on (submitted_at, id), oldest first,
of the staff member's clients at the tiers they approve. Its query count does not grow
with the rows: the page (ticket, customer and client joined), the items of its tickets,
and for maker ≠ checker three lookups over the whole page (timeline actors, item
history users, verifiers) plus the decisions already given, and the page's identity
documents (shown on each card; their checkers are makers too). Each row's tier clock is
read from the round (`tier_due_at`): no query.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from profiledesk.accounts.models import User
from profiledesk.clients.scoping import client_ids_for
from profiledesk.policies.sla import due_status
from profiledesk.tickets.models import ChangeItem, State, Ticket, TicketEvent
from verification.models import Attempt, DocumentCheck, Waiver

from .access import may_review_documents
from .models import Approval, ApprovalRound
from .rules import (
    TIER_PERMISSIONS,
    checker_problem,
    cooling_off,
    cooling_off_problem,
    frozen_problem,
    makers_of,
    plan_for,
)

PAGE_SIZE = 50


def tiers_of(user: User) -> list[int]:
    return [tier for tier, perm in TIER_PERMISSIONS.items() if user.has_perm(perm)]


@dataclass
class QueueRow:
    round: ApprovalRound
    ticket: Ticket
    items: list[ChangeItem]
    evidence: list[Any]  # verification.models.Attempt, newest first
    waiting: dt.timedelta
    problem: str | None  # why this staff member may not decide; None: buttons shown
    sla: tuple[str, str] | None  # the tier's clock: ("breached", "breached 5 min ago")
    documents: list[Any] = field(default_factory=list)  # verification.DocumentCheck
    submitted_on: dict[str, Any] | None = None  # the round's verification (submitted_verification)


@dataclass
class QueuePage:
    rows: list[QueueRow] = field(default_factory=list)
    next_after: int | None = None  # the id of the last round, if more follow


def _makers_by_ticket(tickets: list[Ticket]) -> tuple[dict[int, set[int]], dict[int, list[Any]]]:
    """({ticket id: maker ids}, {ticket id: verification attempts, newest first})."""
    ids = [t.pk for t in tickets]
    makers: dict[int, set[int | None]] = {t.pk: {t.created_by_id} for t in tickets}
    evidence: dict[int, list[Any]] = {t.pk: [] for t in tickets}
    attempts = list(Attempt.objects.filter(ticket_id__in=ids).order_by("-at", "-id"))
    for attempt in attempts:
        evidence[attempt.ticket_id].append(attempt)
    events = TicketEvent.objects.filter(ticket_id__in=ids).filter(
        Q(kind=TicketEvent.Kind.CREATED)
        | Q(
            kind=TicketEvent.Kind.TRANSITION,
            to_state__in=[State.READY.value, State.PENDING_APPROVAL.value],
        )
    )
    sources = [
        events.values_list("ticket_id", "actor_id"),
        ChangeItem.history.filter(ticket_id__in=ids).values_list("ticket_id", "history_user_id"),
        [(attempt.ticket_id, attempt.staff_id) for attempt in attempts],
    ]
    for rows in sources:
        for ticket_id, user_id in rows:
            makers[ticket_id].add(user_id)
    for found in makers.values():
        found.discard(None)
    return cast("dict[int, set[int]]", makers), evidence  # None discarded above


def tier_sla(approval_round: ApprovalRound | None, now: dt.datetime) -> tuple[str, str] | None:
    """(status, text) of the clock of the tier an open round waits at, as sla_status
    says it ("due in 42 min"); None for a closed round or one without a due time."""
    if (
        approval_round is None
        or approval_round.status != ApprovalRound.Status.OPEN
        or approval_round.tier_due_at is None
    ):
        return None
    return due_status(approval_round.tier_due_at, now)


def approval_queue(*, staff: User, after: int | None = None, size: int = PAGE_SIZE) -> QueuePage:
    """Open rounds waiting at `staff`'s tiers, of their clients, oldest first."""
    tiers = tiers_of(staff)
    if not tiers:
        return QueuePage()
    rounds = (
        ApprovalRound.objects.filter(
            status=ApprovalRound.Status.OPEN,
            current_tier__in=tiers,
            client_id__in=client_ids_for(staff),
        )
        .select_related("ticket__customer__personal", "ticket__client")
        .prefetch_related(Prefetch("ticket__items", queryset=ChangeItem.objects.all()))
        .order_by("submitted_at", "id")
    )
    if after is not None:
        anchor = ApprovalRound.objects.filter(pk=after).values_list("submitted_at", flat=True)
        rounds = rounds.filter(
            Q(submitted_at__gt=anchor[:1]) | Q(submitted_at=anchor[:1], id__gt=after)
        )
    page = list(rounds[: size + 1])
    more = len(page) > size
    page = page[:size]
    tickets = [r.ticket for r in page]
    makers, evidence = _makers_by_ticket(tickets)
    # The identity documents: the approver decides from this card, so sees them here;
    # whoever checked one is a maker of the ticket.
    documents: dict[int, list[Any]] = {}
    for check in (
        DocumentCheck.objects.filter(ticket_id__in=[t.pk for t in tickets])
        .select_related("checked_by")
        .order_by("checked_at", "id")
    ):
        documents.setdefault(check.ticket_id, []).append(check)
        if check.checked_by_id:
            makers[check.ticket_id].add(check.checked_by_id)
    decided: dict[int, set[int]] = {}
    for ticket_id, user_id in Approval.objects.filter(
        ticket_id__in=[t.pk for t in tickets], voided_at__isnull=True
    ).values_list("ticket_id", "approver_id"):
        decided.setdefault(ticket_id, set()).add(user_id)
    now = timezone.now()
    rows = [
        QueueRow(
            round=r,
            ticket=r.ticket,
            items=list(r.ticket.items.all()),
            evidence=evidence[r.ticket.pk],
            waiting=now - r.submitted_at,
            sla=tier_sla(r, now),
            documents=documents.get(r.ticket.pk, []),
            submitted_on=submitted_verification(r),
            problem=frozen_problem(r.ticket)
            or checker_problem(
                ticket=r.ticket,
                user=staff,
                tier=r.current_tier,
                makers=makers[r.ticket.pk],
                decided=decided.get(r.ticket.pk, set()),
            ),
        )
        for r in page
    ]
    return QueuePage(rows=rows, next_after=page[-1].pk if more else None)


def approval_panel(ticket: Ticket, user: User) -> dict[str, Any]:
    """Context of the ticket page's approval panel; no query unless the ticket is at an
    approval step (ready, pending approval, approved or rejected)."""
    context: dict[str, Any] = {"approval_panel": False}
    # Escalated: security reviews it with the same evidence an approver would see.
    reviewed = (State.PENDING_APPROVAL, State.APPROVED, State.REJECTED, State.ESCALATED)
    if ticket.state == State.READY or ticket.state in reviewed:
        context.update(
            documents=ticket_documents(ticket),
            may_view_documents=may_review_documents(user),
        )
    if ticket.state == State.READY:
        held = cooling_off(ticket)
        plan = plan_for(ticket)
        context.update(
            approval_panel=True,
            approval_plan=plan,
            cooling_off=held,
            # Verified at AL3: the hold is for the approvers to lift, say so instead.
            cooling_off_lifted=held is not None and cooling_off_problem(ticket) is None,
            critical=ticket.risk_level == "critical",
        )
    elif ticket.state in reviewed:
        approvals = list(ticket.approvals.select_related("approver"))
        current = (
            ApprovalRound.objects.filter(ticket_id=ticket.pk)
            .order_by("-submitted_at", "-id")
            .first()
        )
        problem = None
        if ticket.state == State.PENDING_APPROVAL and current is not None:
            decided = {a.approver_id for a in approvals if a.voided_at is None}
            problem = frozen_problem(ticket) or checker_problem(
                ticket=ticket,
                user=user,
                tier=current.current_tier,
                makers=makers_of(ticket),
                decided=decided,
            )
        else:
            problem = _("Nothing waits for a decision.")
        context.update(
            approval_panel=True,
            approval_round=current,
            submitted_on=submitted_verification(current),
            approval_sla=tier_sla(current, timezone.now()),
            approvals=approvals,
            can_decide=problem is None,
            decide_problem=problem,
        )
    return context


def ticket_documents(ticket: Ticket) -> list[DocumentCheck]:
    """The ticket's identity documents with who checked them, oldest first (one query):
    what the approval card and the ticket's audit view show and link to."""
    return list(
        DocumentCheck.objects.filter(ticket_id=ticket.pk)
        .select_related("checked_by")
        .order_by("checked_at", "id")
    )


def submitted_verification(approval_round: ApprovalRound | None) -> dict[str, Any] | None:
    """The round's verification snapshot with its times as datetimes, for the template."""
    if approval_round is None or not approval_round.verification:
        return None
    snapshot = dict(approval_round.verification)
    for name in ("verified_at", "valid_until", "recorded_at", "at"):
        if snapshot.get(name):
            snapshot[name] = dt.datetime.fromisoformat(snapshot[name])
    snapshot["methods"] = [
        {**row, "at": dt.datetime.fromisoformat(row["at"])} for row in snapshot.get("methods", [])
    ]
    return snapshot


def approvals_waiting_count(*, staff: User, client_ids: list[int], cap: int) -> int:
    """How many open rounds `staff` may decide now — the approval queue's rows that show
    buttons: at their tiers, of their clients, the customer not frozen, and no
    `checker_problem` (not a maker as `makers_of` counts them — created, verified,
    checked a document, waived, edited an item, marked verified or submitted —, not the
    assignee, no standing decision of theirs). One query, at most `cap` rows counted."""
    tiers = tiers_of(staff)
    if not tiers:
        return 0
    me = staff.pk
    ticket = OuterRef("ticket_id")
    made = (
        Exists(
            TicketEvent.objects.filter(ticket_id=ticket, actor_id=me).filter(
                Q(kind=TicketEvent.Kind.CREATED)
                | Q(
                    kind=TicketEvent.Kind.TRANSITION,
                    to_state__in=[State.READY.value, State.PENDING_APPROVAL.value],
                )
            )
        )
        | Exists(ChangeItem.history.filter(ticket_id=ticket, history_user_id=me))
        | Exists(Attempt.objects.filter(ticket_id=ticket, staff_id=me))
        | Exists(DocumentCheck.objects.filter(ticket_id=ticket, checked_by_id=me))
        | Exists(Waiver.objects.filter(ticket_id=ticket, by_id=me))
        | Exists(Approval.objects.filter(ticket_id=ticket, approver_id=me, voided_at__isnull=True))
    )
    rounds = (
        ApprovalRound.objects.filter(
            status=ApprovalRound.Status.OPEN, current_tier__in=tiers, client_id__in=client_ids
        )
        .exclude(ticket__customer__frozen_at__isnull=False)
        .exclude(ticket__created_by_id=me)
        .exclude(ticket__assignee_id=me)
        .exclude(made)
        .order_by()
    )
    return rounds[:cap].count()
