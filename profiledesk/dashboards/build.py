"""Building the daily figures (models.DailyFigure) of a client's local days.

A day is the client's local day (Client.time_zone): what happened at 23:30 UTC counts on
the next day for a client in Asia/Tokyo and on the same day for one in America/New_York.
Each fact counts once, on the day of the moment that defines it, so a finished day's
figures only change when something is recorded late:

- opened, risk level and reasons: the day the ticket was opened (created_at); level and
  reasons are the ticket's current ones, so a re-assessment shows after a rebuild;
- applied, rejected, cancelled, closed, rolled back: the day of the move (its
  `TicketEvent`), with the time from intake (created_at) to it: a ticket opened on
  Monday and applied on Tuesday is opened on Monday and applied on Tuesday;
- SLA met or breached: the day the ticket was due (sla_due_at as it stands: a paused
  ticket whose clock resumes moves to its new due day when both days are rebuilt);
- verification attempts, lock-outs, escalations, security's decisions, approval
  decisions, deliveries and confirmations: the day of the attempt, lock-out, move,
  decision, or the row's creation (deliveries and confirmations, with their outcome now);
- applied automatically (straight-through processing): the day of the automatic apply.

`figures_rebuild` replaces a client's day: every source is read first, then the day's
rows are deleted and written in one transaction under the client's row lock (two
rebuilds of one client never interleave), so running it twice leaves the same rows.
Beat runs it for today and yesterday of every client every few minutes
(`tasks.rebuild_recent`) and for the last week daily (`tasks.rebuild_week`, for events
recorded late); `manage.py dashboards_rebuild` rebuilds any range on demand.
"""

import datetime as dt
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.db.models.fields.json import KT
from django.utils import timezone

from profiledesk.approvals.models import Approval, ApprovalRound
from profiledesk.automation.selectors import automatic_applies
from profiledesk.clients.models import Client
from profiledesk.confirmations.models import Confirmation
from profiledesk.connectors.models import Delivery
from profiledesk.connectors.models import Status as DeliveryStatus
from profiledesk.messaging.models import Status as MessageStatus
from profiledesk.tickets.models import State, Ticket, TicketEvent
from verification.models import Attempt, Lock, Method

from .models import DailyFigure, Metric

logger = logging.getLogger(__name__)

# Where a ticket's work ends, for the SLA: the first move into one of these.
FINISHED_STATES = (
    State.APPLIED,
    State.CLOSED,
    State.REJECTED,
    State.CANCELLED,
    State.ROLLED_BACK,
)
# Moves whose time from intake the throughput panel measures.
TIMED_STATES = (State.APPLIED, State.CLOSED)

_DAY = dt.timedelta(days=1)
# Keys are names the desk defines; anything else (a rule slug written by hand) is "other".
_SLUG = re.compile(r"^[a-z0-9_]{1,40}$")
_MAX_KEY = 80


class Sla:
    """Outcomes of the SLA metric (key3)."""

    MET = "met"
    BREACHED = "breached"
    # Not finished, not past due (or its clock stopped before it was due).
    OPEN = "open"


class Sent:
    """Outcomes of a confirmation (key2), whichever outbox carries it."""

    SENT = "sent"  # message sent, in-app delivery delivered
    PENDING = "pending"  # not tried yet, or being sent
    RETRYING = "retrying"  # tried and failed, will be tried again
    FAILED = "failed"  # refused for good (a permanent error)
    GAVE_UP = "gave_up"  # every attempt failed


def day_bounds(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in UTC of the local `day` in `zone` (23 or 25 hours on the days the
    clocks change). Consecutive days share a bound, so no moment falls between two days."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(day + _DAY, dt.time(0), tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def sla_outcome(
    *,
    due: dt.datetime,
    paused_at: dt.datetime | None,
    finished_at: dt.datetime | None,
    now: dt.datetime,
) -> str:
    """Met, breached or open, as policies.sla reads the clock: a finished ticket met its
    SLA if it finished at or before it was due — or its clock had stopped by then (it
    was waiting on the customer when it ended); an open one is breached once it is past
    due, unless its clock stopped before (sla_status: paused, the time left is what was
    left when it stopped)."""
    if finished_at is not None:
        stopped = finished_at if paused_at is None else min(finished_at, paused_at)
        return Sla.MET if stopped <= due else Sla.BREACHED
    if paused_at is not None:
        return Sla.BREACHED if paused_at >= due else Sla.OPEN
    return Sla.BREACHED if now >= due else Sla.OPEN


def confirmation_outcome(
    *,
    message_status: str | None,
    message_error: str | None,
    delivery_status: str | None,
) -> str:
    if message_status is not None:
        if message_status == MessageStatus.SENT:
            return Sent.SENT
        if message_status == MessageStatus.FAILED:
            # messaging's tasks write "gave up: ..." when the attempts ran out.
            return Sent.GAVE_UP if (message_error or "").startswith("gave up") else Sent.FAILED
        return Sent.RETRYING if message_error else Sent.PENDING
    outcomes: dict[str, str] = {
        DeliveryStatus.DELIVERED: Sent.SENT,
        DeliveryStatus.FAILING: Sent.RETRYING,
        DeliveryStatus.GAVE_UP: Sent.GAVE_UP,
    }
    return outcomes.get(delivery_status or "", Sent.PENDING)


def method_key(method: str, channel: str | None) -> str:
    """ "otp_email" / "otp_sms" for a code by that channel, else the method's name."""
    if method == Method.OTP:
        return f"otp_{channel}" if channel else "otp"
    return method


def _key(value: object) -> str:
    return str(value or "")[:_MAX_KEY]


def _seconds(later: dt.datetime, earlier: dt.datetime) -> int:
    return max(0, int((later - earlier).total_seconds()))


@dataclass
class _Tally:
    """Counts (and durations) keyed by (local day, metric, keys), for days in a range."""

    zone: ZoneInfo
    since: dt.date
    until: dt.date
    counts: dict[tuple[dt.date, str, str, str, str], int] = field(
        default_factory=lambda: defaultdict(int)
    )
    durations: dict[tuple[dt.date, str, str, str, str], list[int]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def add(
        self,
        moment: dt.datetime,
        metric: str,
        *keys: object,
        duration: int | None = None,
    ) -> None:
        day = moment.astimezone(self.zone).date()
        if not self.since <= day <= self.until:
            return  # the queries' bounds make this rare (a row written meanwhile)
        padded = [_key(k) for k in keys] + ["", "", ""]
        index = (day, metric, padded[0], padded[1], padded[2])
        self.counts[index] += 1
        if duration is not None:
            self.durations[index].append(duration)

    def rows(self, client: Client, built_at: dt.datetime) -> list[DailyFigure]:
        return [
            DailyFigure(
                client=client,
                day=day,
                metric=metric,
                key1=key1,
                key2=key2,
                key3=key3,
                count=count,
                durations=sorted(self.durations.get((day, metric, key1, key2, key3), [])),
                built_at=built_at,
            )
            for (day, metric, key1, key2, key3), count in sorted(self.counts.items())
        ]


def _opened(tally: _Tally, client: Client, start: dt.datetime, end: dt.datetime) -> None:
    rows = (
        Ticket.objects.filter(client=client, created_at__gte=start, created_at__lt=end)
        .order_by()
        .values_list("created_at", "channel", "category", "risk_level", "risk_reasons")
    )
    for created_at, channel, category, level, reasons in rows.iterator(chunk_size=2000):
        tally.add(created_at, Metric.OPENED, channel, category)
        tally.add(created_at, Metric.RISK_LEVEL, level)
        # The rule's slug only: a reason's sentence may quote a date or a domain.
        rules = {r.get("rule", "") for r in reasons or [] if isinstance(r, dict)}
        for rule in rules:
            tally.add(created_at, Metric.RISK_REASON, rule if _SLUG.match(str(rule)) else "other")


def _moves(tally: _Tally, client: Client, start: dt.datetime, end: dt.datetime) -> None:
    rows = (
        TicketEvent.objects.filter(
            ticket__client=client,
            kind=TicketEvent.Kind.TRANSITION,
            at__gte=start,
            at__lt=end,
            to_state__in=[*FINISHED_STATES, State.ESCALATED],
        )
        .order_by()
        .values_list("at", "to_state", "ticket__created_at", "ticket__channel", "ticket__category")
    )
    for at, to_state, created_at, channel, category in rows.iterator(chunk_size=2000):
        if to_state == State.ESCALATED:
            tally.add(at, Metric.ESCALATED)
            continue
        duration = _seconds(at, created_at) if to_state in TIMED_STATES else None
        tally.add(at, Metric.FINISHED, to_state, channel, category, duration=duration)


def _security_decisions(
    tally: _Tally, client: Client, start: dt.datetime, end: dt.datetime
) -> None:
    escalated_at = (
        TicketEvent.objects.filter(
            ticket_id=OuterRef("ticket_id"),
            kind=TicketEvent.Kind.TRANSITION,
            to_state=State.ESCALATED,
            at__lte=OuterRef("at"),
        )
        .order_by("-at", "-id")
        .values("at")[:1]
    )
    rows = (
        TicketEvent.objects.filter(
            ticket__client=client,
            kind=TicketEvent.Kind.TRANSITION,
            from_state=State.ESCALATED,
            at__gte=start,
            at__lt=end,
        )
        .annotate(escalated_at=Subquery(escalated_at))
        .order_by()
        .values_list("at", "to_state", "escalated_at")
    )
    for at, to_state, since in rows.iterator(chunk_size=2000):
        duration = _seconds(at, since) if since is not None else None
        tally.add(at, Metric.ESCALATION_OUTCOME, to_state, duration=duration)


def _sla(
    tally: _Tally, client: Client, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> None:
    finished = (
        TicketEvent.objects.filter(
            ticket_id=OuterRef("pk"),
            kind=TicketEvent.Kind.TRANSITION,
            to_state__in=FINISHED_STATES,
        )
        .order_by("at", "id")
        .values("at")[:1]
    )
    rows = (
        Ticket.objects.filter(client=client, sla_due_at__gte=start, sla_due_at__lt=end)
        .annotate(finished_at=Subquery(finished))
        .order_by()
        .values_list(
            "sla_due_at",
            "sla_paused_at",
            "state",
            "updated_at",
            "finished_at",
            "channel",
            "category",
        )
    )
    for due, paused_at, state, updated_at, finished_at, channel, category in rows.iterator(
        chunk_size=2000
    ):
        if finished_at is None and state in FINISHED_STATES:
            # Finished with no recorded move (rows from before the timeline): its last
            # write is the latest it can have finished.
            finished_at = updated_at
        outcome = sla_outcome(due=due, paused_at=paused_at, finished_at=finished_at, now=now)
        tally.add(due, Metric.SLA, channel, category, outcome)


def _verification(tally: _Tally, client: Client, start: dt.datetime, end: dt.datetime) -> None:
    rows = (
        Attempt.objects.filter(ticket__client=client, at__gte=start, at__lt=end)
        .annotate(noted_channel=KT("detail__channel"))
        .order_by()
        .values_list("at", "method", "result", "purpose", "challenge__channel", "noted_channel")
    )
    for at, method, result, purpose, channel, noted in rows.iterator(chunk_size=2000):
        # The channel otp_check noted, else the challenge's (the attempt outlives it).
        key = method_key(method, noted or channel)
        tally.add(at, Metric.VERIFICATION, key, result, purpose)
    locks = (
        Lock.objects.filter(customer__client=client, created_at__gte=start, created_at__lt=end)
        .order_by()
        .values_list("created_at", flat=True)
    )
    for created_at in locks.iterator(chunk_size=2000):
        tally.add(created_at, Metric.LOCKOUT)


def _approvals(tally: _Tally, client: Client, start: dt.datetime, end: dt.datetime) -> None:
    """A tier's decision is its first rejection, else its `per_tier`-th approval; rounds
    voided by an edit are left out (their decisions no longer stand)."""
    touched = Approval.objects.filter(
        round__client=client, decided_at__gte=start, decided_at__lt=end
    ).values("round_id")
    rows = (
        Approval.objects.filter(round_id__in=touched, voided_at__isnull=True)
        .exclude(round__status=ApprovalRound.Status.VOIDED)
        .order_by()
        .values_list(
            "round_id", "tier", "decision", "decided_at", "round__submitted_at", "round__per_tier"
        )
    )
    tiers: dict[tuple[int, int], tuple[dt.datetime, int, list[dt.datetime], list[dt.datetime]]]
    tiers = {}
    for round_id, tier, decision, decided_at, submitted_at, per_tier in rows:
        entry = tiers.setdefault((round_id, tier), (submitted_at, per_tier, [], []))
        (entry[2] if decision == Approval.Decision.APPROVED else entry[3]).append(decided_at)
    for (_round, tier), (submitted_at, per_tier, approved, rejected) in tiers.items():
        if rejected:
            outcome, decided = Approval.Decision.REJECTED, min(rejected)
        elif len(approved) >= max(per_tier, 1):
            outcome, decided = Approval.Decision.APPROVED, sorted(approved)[max(per_tier, 1) - 1]
        else:
            continue  # the tier still waits for more approvers
        if start <= decided < end:
            tally.add(
                decided, Metric.APPROVAL, tier, outcome, duration=_seconds(decided, submitted_at)
            )


def _downstream(tally: _Tally, client: Client, start: dt.datetime, end: dt.datetime) -> None:
    deliveries = (
        Delivery.objects.filter(client=client, created_at__gte=start, created_at__lt=end)
        .order_by()
        .values_list("created_at", "connector__name", "status", "delivered_at")
    )
    for created_at, name, status, delivered_at in deliveries.iterator(chunk_size=2000):
        lag = _seconds(delivered_at, created_at) if delivered_at is not None else None
        tally.add(created_at, Metric.DELIVERY, name, status, duration=lag)
    confirmations = (
        Confirmation.objects.filter(
            ticket__client=client, created_at__gte=start, created_at__lt=end
        )
        .order_by()
        .values_list(
            "created_at",
            "message__channel",
            "message__status",
            "message__last_error",
            "delivery__status",
        )
    )
    for created_at, channel, status, error, delivery_status in confirmations.iterator(
        chunk_size=2000
    ):
        outcome = confirmation_outcome(
            message_status=status, message_error=error, delivery_status=delivery_status
        )
        tally.add(created_at, Metric.CONFIRMATION, channel or "app", outcome)


def _straight_through(tally: _Tally, client: Client, start: dt.datetime, end: dt.datetime) -> None:
    rows = automatic_applies(client_id=client.pk, start=start, end=end)
    for at, category in rows.iterator(chunk_size=2000):
        tally.add(at, Metric.STRAIGHT_THROUGH, category)


def figures_rebuild_days(
    *, client: Client, since: dt.date, until: dt.date, now: dt.datetime | None = None
) -> int:
    """Replace the client's figures of the local days [since, until] (both included);
    returns how many rows the days have now."""
    if since > until:
        raise ValueError("since is after until")
    now = now or timezone.now()
    zone = ZoneInfo(client.time_zone)
    start, _ = day_bounds(since, zone)
    _, end = day_bounds(until, zone)
    tally = _Tally(zone=zone, since=since, until=until)
    _opened(tally, client, start, end)
    _moves(tally, client, start, end)
    _security_decisions(tally, client, start, end)
    _sla(tally, client, start, end, now)
    _verification(tally, client, start, end)
    _approvals(tally, client, start, end)
    _downstream(tally, client, start, end)
    _straight_through(tally, client, start, end)
    rows = tally.rows(client, built_at=now)
    # Read first, write briefly: the write lock (SQLite's, the client row's) is held only
    # for the delete and insert.
    with transaction.atomic():
        list(Client.objects.select_for_update().filter(pk=client.pk).values_list("pk"))
        DailyFigure.objects.filter(client=client, day__gte=since, day__lte=until).delete()
        DailyFigure.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def figures_rebuild(*, client: Client, day: dt.date, now: dt.datetime | None = None) -> int:
    """Replace the client's figures of one local day (idempotent)."""
    return figures_rebuild_days(client=client, since=day, until=day, now=now)


def local_today(client: Client, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(ZoneInfo(client.time_zone)).date()


def figures_rebuild_recent(
    *, days: int, clients: Iterable[Client] | None = None, now: dt.datetime | None = None
) -> int:
    """Rebuild the last `days` local days (today included) of every active client, each
    in its own zone. A client whose rebuild fails is logged and the others go on."""
    now = now or timezone.now()
    built = 0
    for client in clients if clients is not None else Client.objects.filter(is_active=True):
        today = local_today(client, now)
        try:
            built += figures_rebuild_days(
                client=client, since=today - (days - 1) * _DAY, until=today, now=now
            )
        except Exception:
            logger.exception("dashboards: the figures of client %s were not rebuilt", client.pk)
    return built
