"""Demo tickets at scale: `seed_tickets(count=...)` for existing customers.

Realistic enough to work and to measure the queue with: every state of docs/design.md §3 but
`rolled_back` (only applying a rollback ticket makes that: see stories.py), most of
them long closed and a backlog still open (about a fifth), change items that fit the
category, a timeline that walks the state machine's path to the ticket's state, risk
levels with their reasons, and SLA due times spread so that some open tickets have
breached, some are due within the hour and the rest later.

Fast because it writes in bulk: tickets and change items with their history (one "+"
history row each, stamped with when and by whom the ticket last changed) — by COPY on
PostgreSQL (`copy_with_history`, the rows simple-history's `bulk_create_with_history`
writes, ten times faster), by `bulk_create_with_history` itself elsewhere — and the
timeline events (not tracked) likewise. A ticket waiting for approval (or approved) gets
its approval round as `approval_submit` would have opened it — the tiers its policy and
risk need, the signed diff, the current tier's due time on the client's calendar — and
an approved one the approvals of supervisors (and compliance) who did not make it; these
are plain rows, bulk-inserted the same way. Big runs on PostgreSQL use a worker process a
CPU. Ticket ids are reserved up front so that a ticket is inserted with its reference
`PD-<id>` — the reference `ticket_create` would give it — and never updated afterwards.

A ticket depends only on its position in the run and the seed: the same call on the same
customers builds the same tickets. Re-running adds `count` more.
"""

import datetime as dt
import itertools
import multiprocessing
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from profiledesk.accounts.models import User
from profiledesk.accounts.roles import Role
from profiledesk.approvals.models import Approval, ApprovalRound
from profiledesk.approvals.rules import diff_hash, plan_from
from profiledesk.clients.models import Client
from profiledesk.customers.models import Customer
from profiledesk.intake.fields import resolve_field
from profiledesk.policies.categories import Category
from profiledesk.policies.defaults import DEFAULT_POLICIES
from profiledesk.policies.models import Policy
from profiledesk.policies.sla import Calendar
from profiledesk.tickets.models import (
    OPEN_STATES,
    ChangeItem,
    Channel,
    Priority,
    RiskLevel,
    State,
    Ticket,
    TicketEvent,
)

SEED = 20240603
CHUNK = 10_000  # tickets a transaction
BATCH = 5_000  # rows an INSERT
SEED_REASON = "seed: demo ticket"
KIND_CREATED, KIND_ASSIGNED, KIND_TRANSITION, KIND_COMMENT = (
    TicketEvent.Kind.CREATED.value,
    TicketEvent.Kind.ASSIGNED.value,
    TicketEvent.Kind.TRANSITION.value,
    TicketEvent.Kind.COMMENT.value,
)
EVENT_COLUMNS = ("ticket_id", "at", "actor_id", "kind", "from_state", "to_state", "message")

# Share of each state among all tickets (out of 1000): a desk's history is mostly closed.
STATE_MIX: dict[str, int] = {
    State.CLOSED: 610,
    State.APPLIED: 30,
    State.CANCELLED: 110,
    State.REJECTED: 40,
    State.NEW: 60,
    State.VERIFYING: 40,
    State.VERIFICATION_FAILED: 15,
    State.READY: 30,
    State.PENDING_APPROVAL: 35,
    State.APPROVED: 10,
    State.ESCALATED: 20,
}
CHANNEL_MIX = {
    Channel.PHONE: 38,
    Channel.CHAT: 20,
    Channel.EMAIL: 18,
    Channel.APP: 10,
    Channel.WEB: 9,
    Channel.API: 5,
}
CATEGORY_MIX = {
    Category.CONTACT: 34,
    Category.PERSONAL: 10,
    Category.SECURITY: 14,
    Category.PREFERENCES: 12,
    Category.LINKED_ACCOUNTS: 4,
    Category.BILLING: 14,
    Category.LANGUAGE_REGION: 5,
    Category.ORGANISATION: 3,
    Category.AVATAR: 4,
}
PRIORITY_MIX = {Priority.LOW: 10, Priority.NORMAL: 75, Priority.HIGH: 12, Priority.URGENT: 3}

# The path through the state machine to each state, after "new" (docs/design.md §3).
_VERIFIED = [State.VERIFYING, State.READY]
PATHS: dict[str, list[list[str]]] = {
    State.NEW: [[]],
    State.VERIFYING: [[State.VERIFYING]],
    State.VERIFICATION_FAILED: [[State.VERIFYING, State.VERIFICATION_FAILED]],
    State.READY: [_VERIFIED],
    State.PENDING_APPROVAL: [[*_VERIFIED, State.PENDING_APPROVAL]],
    State.APPROVED: [[*_VERIFIED, State.PENDING_APPROVAL, State.APPROVED]],
    State.APPLIED: [
        [*_VERIFIED, State.APPLIED],
        [*_VERIFIED, State.PENDING_APPROVAL, State.APPROVED, State.APPLIED],
    ],
    State.CLOSED: [
        [*_VERIFIED, State.APPLIED, State.CLOSED],
        [*_VERIFIED, State.PENDING_APPROVAL, State.APPROVED, State.APPLIED, State.CLOSED],
    ],
    State.CANCELLED: [
        [State.CANCELLED],
        [State.VERIFYING, State.CANCELLED],
        [State.VERIFYING, State.VERIFICATION_FAILED, State.CANCELLED],
    ],
    State.REJECTED: [
        [*_VERIFIED, State.PENDING_APPROVAL, State.REJECTED],
        [State.VERIFYING, State.ESCALATED, State.REJECTED],
    ],
    State.ESCALATED: [[State.ESCALATED], [State.VERIFYING, State.ESCALATED]],
}
# Moves that need a reason (states.MOVES), and the reasons staff give.
REASONS: dict[str, tuple[str, ...]] = {
    State.VERIFICATION_FAILED: (
        "Caller could not answer the security questions.",
        "OTP not received; customer will call back.",
        "Wrong code entered five times.",
    ),
    State.CANCELLED: (
        "Customer withdrew the request.",
        "Duplicate of an earlier request.",
        "Customer did not call back within 14 days.",
    ),
    State.ESCALATED: (
        "Caller hesitated over the date of birth and asked to change the e-mail and card.",
        "Same new phone number requested on three accounts today.",
        "Customer reported they did not ask for this change.",
    ),
    State.REJECTED: (
        "Approver: the document does not match the legal name.",
        "Security: confirmed account-takeover attempt.",
    ),
}
COMMENTS = (
    "Customer called back to check progress.",
    "Left a voicemail asking the customer to call back.",
    "Customer confirmed the new details by phone.",
    "Waiting for the customer to upload a document.",
)


@dataclass(frozen=True)
class ItemTemplate:
    """A change item as intake captures one: `section` is the category and `field` the
    "<model>.<attribute>" key of intake.capture's FIELD_SPECS (the label comes from there)."""

    section: str
    field: str
    old_display: str
    new_value: str
    new_display: str
    is_secret: bool = False


# A few plausible changes a category; every value is made up, old values already masked.
ITEMS: dict[str, tuple[ItemTemplate, ...]] = {
    Category.CONTACT: (
        ItemTemplate(
            Category.CONTACT,
            "emailaddress.email",
            "j•••@example.com",
            "jo.new@example.net",
            "j•••@example.net",
        ),
        ItemTemplate(
            Category.CONTACT,
            "phonenumber.number",
            "+44 •••• ••0123",
            "+447700900456",
            "+44 •••• ••0456",
        ),
        ItemTemplate(
            Category.CONTACT, "postaladdress.line1", "1•••••••", "22 Baker Street", "2•••••••"
        ),
        ItemTemplate(Category.CONTACT, "postaladdress.postal_code", "SW1•••", "NW1 6XE", "NW1•••"),
    ),
    Category.PERSONAL: (
        ItemTemplate(
            Category.PERSONAL,
            "personaldetails.legal_name",
            "Jane Smith",
            "Jane Carter",
            "Jane Carter",
        ),
        ItemTemplate(Category.PERSONAL, "personaldetails.preferred_name", "", "Jo", "Jo"),
        ItemTemplate(
            Category.PERSONAL,
            "personaldetails.date_of_birth",
            "••/••/1984",
            "1984-03-08",
            "••/••/1984",
        ),
    ),
    Category.SECURITY: (
        ItemTemplate(Category.SECURITY, "securitysettings.two_factor_reset", "", "reset", "Reset"),
        ItemTemplate(Category.SECURITY, "securitysettings.password_reset", "", "reset", "Reset"),
    ),
    Category.PREFERENCES: (
        ItemTemplate(Category.PREFERENCES, "preferences.marketing_email", "Yes", "False", "No"),
        ItemTemplate(Category.PREFERENCES, "preferences.confirm_by_sms", "No", "True", "Yes"),
        ItemTemplate(Category.PREFERENCES, "preferences.auto_renew", "Yes", "False", "No"),
    ),
    Category.LINKED_ACCOUNTS: (
        ItemTemplate(
            Category.LINKED_ACCOUNTS, "linkedaccount.unlink", "Google", "unlink", "Unlink Google"
        ),
    ),
    Category.BILLING: (
        ItemTemplate(
            Category.BILLING,
            "paymentcard.vault_token",
            "Visa •••• 4242",
            "tok_demo_card",
            "Mastercard 555555 •••• 4444",
            is_secret=True,
        ),
        ItemTemplate(
            Category.BILLING,
            "bankaccount.vault_token",
            "GB•• •••• 5432",
            "tok_demo_iban",
            "DE•• •••• 3000",
            is_secret=True,
        ),
    ),
    Category.LANGUAGE_REGION: (
        ItemTemplate(
            Category.LANGUAGE_REGION, "languageregion.language", "English", "es", "Spanish"
        ),
        ItemTemplate(
            Category.LANGUAGE_REGION,
            "languageregion.time_zone",
            "Europe/London",
            "Europe/Madrid",
            "Europe/Madrid",
        ),
    ),
    Category.ORGANISATION: (
        ItemTemplate(
            Category.ORGANISATION,
            "organisation.vat_number",
            "GB•••••2345",
            "GB980780684",
            "GB980780684",
        ),
        ItemTemplate(
            Category.ORGANISATION,
            "organisation.business_name",
            "Acme Ltd",
            "Acme Holdings Ltd",
            "Acme Holdings Ltd",
        ),
    ),
    Category.AVATAR: (
        ItemTemplate(Category.AVATAR, "avatar.image", "(none)", "avatars/demo.png", "New image"),
    ),
}

SUMMARIES = {
    Category.CONTACT: "Update contact details",
    Category.PERSONAL: "Correct personal details",
    Category.SECURITY: "Change sign-in security",
    Category.PREFERENCES: "Change notification preferences",
    Category.LINKED_ACCOUNTS: "Unlink an account",
    Category.BILLING: "Replace the payment method",
    Category.LANGUAGE_REGION: "Change language and region",
    Category.ORGANISATION: "Update company details",
    Category.AVATAR: "New profile picture",
}
# (rule, points, reason) the risk rules give (policies.risk); a level is their sum.
RISK_RULES = (
    ("recent_contact_change", 25, "A contact detail changed in the last 30 days."),
    ("contact_and_billing", 40, "Contact and billing change in one request."),
    ("failed_verification", 20, "Failed verification attempts on this request."),
    ("value_in_use", 30, "The new value belongs to another customer of the client."),
    ("outside_hours", 10, "Requested outside the client's business hours."),
    ("customer_flagged", 40, "The customer is flagged."),
)


@dataclass(frozen=True)
class ClientPlan:
    client: Client
    customer_ids: list[int]
    floor: list[User]  # agents and supervisors: create, claim, work tickets
    security: list[User]
    # Approvers at tier 1 and tier 2; and the client's policies by category (the defaults
    # for any it lacks).
    approvers: dict[int, list[User]] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)


def _weighted(mix: dict) -> tuple[list, list[int]]:
    """(choices, cumulative weights) for `rng.choices(values, cum_weights=...)`."""
    return list(mix), list(itertools.accumulate(mix.values()))


# How many risk rules fire on a ticket: mostly none (cumulative weights).
_RULES_FIRED, _RULES_FIRED_CUM = [0, 1, 2, 3], [70, 90, 98, 100]


def _risk(rng: random.Random, state: str) -> tuple[int, str, list[dict]]:
    """(score, level, reasons): mostly none; escalations are high or critical."""
    wanted = (
        2
        if state == State.ESCALATED
        else rng.choices(_RULES_FIRED, cum_weights=_RULES_FIRED_CUM)[0]
    )
    rules = rng.sample(RISK_RULES, wanted)
    if state == State.ESCALATED and sum(points for _, points, _ in rules) < 50:
        rules.append(RISK_RULES[5])
    score = sum(points for _, points, _ in rules)
    level = (
        RiskLevel.CRITICAL
        if score >= 80
        else RiskLevel.HIGH
        if score >= 50
        else RiskLevel.MEDIUM
        if score >= 20
        else RiskLevel.LOW
    )
    reasons = [{"rule": rule, "points": points, "reason": text} for rule, points, text in rules]
    return score, level, reasons


def _sla_due(rng: random.Random, state: str, created: dt.datetime, minutes: int, now):
    """Open tickets: a fifth breached, a tenth due within the hour, the rest later."""
    if state not in OPEN_STATES:
        return created + dt.timedelta(minutes=minutes * rng.uniform(0.8, 2.5))
    roll = rng.random()
    if roll < 0.2:
        return now - dt.timedelta(minutes=rng.uniform(1, 3 * 24 * 60))
    if roll < 0.3:
        return now + dt.timedelta(minutes=rng.uniform(1, 60))
    return now + dt.timedelta(minutes=rng.uniform(60, 5 * 24 * 60))


class _Builder:
    """Builds the rows of one chunk; nothing here touches the database."""

    def __init__(
        self, plans: list[ClientPlan], now: dt.datetime, seed: int, run_start: int = 0
    ) -> None:
        self.plans = [plan for plan in plans if plan.customer_ids]
        self.now = now
        self.seed = seed
        # The first tickets of a run take every state in turn: even a tiny seed has them all.
        self.run_start = run_start
        self.states = _weighted(STATE_MIX)
        self.channels = _weighted(CHANNEL_MIX)
        self.categories = _weighted(CATEGORY_MIX)
        self.priorities = _weighted(PRIORITY_MIX)
        self.sla_minutes = {cat: spec["sla_minutes"] for cat, spec in DEFAULT_POLICIES.items()}
        self.opened = {channel: f"Opened from {channel.label}." for channel in Channel}
        self.labels = {
            t.field: str(resolve_field(t.section, t.field).label)
            for templates in ITEMS.values()
            for t in templates
        }
        self.claimed = {
            user.pk: f"Claimed by {user}." for plan in self.plans for user in plan.floor
        }
        # Approval rounds are seeded for open tickets only, at most three days old.
        since = now - dt.timedelta(days=4)
        self.calendars = {
            plan.client.pk: Calendar.for_client(plan.client, since=since) for plan in self.plans
        }

    def ticket(self, ticket_id: int, position: int):
        rng = random.Random(self.seed * 1_000_003 + position)
        plan = self.plans[position % len(self.plans)]
        if 0 <= position - self.run_start < len(self.states[0]):
            state = self.states[0][position - self.run_start]
        else:
            state = rng.choices(self.states[0], cum_weights=self.states[1])[0]
        channel = rng.choices(self.channels[0], cum_weights=self.channels[1])[0]
        category = rng.choices(self.categories[0], cum_weights=self.categories[1])[0]
        is_open = state in OPEN_STATES
        age = rng.uniform(0.02, 3) if is_open else rng.uniform(1, 365)
        created = self.now - dt.timedelta(days=age)
        creator = rng.choice(plan.floor) if channel in (Channel.PHONE, Channel.CHAT) else None
        unmatched = channel == Channel.EMAIL and state == State.NEW and rng.random() < 0.3
        customer_id = None if unmatched else rng.choice(plan.customer_ids)

        path = rng.choice(PATHS[state])
        # Phone and chat tickets belong to whoever took the call; the others wait in "new"
        # until someone claims them.
        assignee = creator
        if assignee is None and path:
            assignee = rng.choice(plan.floor)
        score, level, reasons = _risk(rng, state)

        # The timeline: (ticket_id, at, actor_id, kind, from_state, to_state, message).
        creator_id = creator.pk if creator else None
        assignee_id = assignee.pk if assignee else None
        step_at = created
        events = [
            (ticket_id, created, creator_id, KIND_CREATED, "", "", self.opened[channel]),
        ]
        if assignee is not None and assignee != creator:
            step_at += dt.timedelta(minutes=rng.uniform(1, 90))
            events.append(
                (ticket_id, step_at, assignee_id, KIND_ASSIGNED, "", "", self.claimed[assignee_id])
            )
        previous = State.NEW
        for target in path:
            step_at += dt.timedelta(minutes=rng.uniform(2, 240 if is_open else 600))
            actor_id = assignee_id
            if target == State.REJECTED and previous == State.ESCALATED and plan.security:
                actor_id = rng.choice(plan.security).pk
            reason = rng.choice(REASONS[target]) if target in REASONS else ""
            events.append((ticket_id, step_at, actor_id, KIND_TRANSITION, previous, target, reason))
            previous = target
        if rng.random() < 0.15:
            step_at += dt.timedelta(minutes=rng.uniform(1, 60))
            events.append(
                (ticket_id, step_at, assignee_id, KIND_COMMENT, "", "", rng.choice(COMMENTS))
            )
        if step_at > self.now:  # a busy ticket's last steps would lie in the future
            events = [(*event[:1], min(event[1], self.now), *event[2:]) for event in events]
            step_at = self.now
        updated = step_at

        ticket = Ticket(
            id=ticket_id,
            reference=f"PD-{ticket_id:06d}",
            client_id=plan.client.pk,
            customer_id=customer_id,
            channel=channel,
            category=category,
            state=state,
            priority=rng.choices(self.priorities[0], cum_weights=self.priorities[1])[0],
            risk_level=level,
            risk_score=score,
            risk_reasons=reasons,
            assignee_id=assignee_id,
            created_by_id=creator_id,
            summary=SUMMARIES[category],
            sla_due_at=_sla_due(rng, state, created, self.sla_minutes[category], self.now),
            # A ticket waiting on the customer's document or OTP has its clock stopped.
            sla_paused_at=updated if state == State.VERIFYING and rng.random() < 0.1 else None,
            created_at=created,
            updated_at=updated,
        )
        ticket._history_date = updated
        ticket._history_user = assignee or creator
        ticket._change_reason = SEED_REASON

        templates = ITEMS[category]
        chosen = rng.sample(templates, 1 if len(templates) == 1 or rng.random() < 0.8 else 2)
        items = []
        for number, template in enumerate(chosen):
            item = ChangeItem(
                ticket_id=ticket_id,
                position=number,
                section=template.section,
                field=template.field,
                label=self.labels[template.field],
                old_display=template.old_display,
                new_value=template.new_value,
                new_display=template.new_display,
                is_secret=template.is_secret,
            )
            item._history_date = created
            item._history_user = creator
            item._change_reason = SEED_REASON
            items.append(item)
        rounds = self._approval_round(rng, plan, ticket, items, events)
        return ticket, items, events, rounds

    def _approval_round(
        self, rng: random.Random, plan: ClientPlan, ticket: Ticket, items, events: list[tuple]
    ) -> list[tuple[ApprovalRound, list[Approval]]]:
        """The round of a ticket waiting for approval or approved, as approval_submit and
        approval_grant leave it, with the approvals of staff who did not make the ticket;
        half the two-tier rounds still waiting have passed tier 1. May rewrite the actor
        of the "approved" event in `events` (the last approver). [] for other states."""
        if ticket.state not in (State.PENDING_APPROVAL, State.APPROVED):
            return []
        policy = plan.policies[ticket.category]
        needs = plan_from(
            policy=policy, fields={item.field for item in items}, risk_level=ticket.risk_level
        )
        tiers, per_tier = max(needs.tiers, 1), needs.per_tier
        at = {event[5]: event[1] for event in events if event[3] == KIND_TRANSITION}
        submitted = at[State.PENDING_APPROVAL]
        approved = at.get(State.APPROVED)
        makers = {ticket.created_by_id, ticket.assignee_id}
        if approved is None:  # still waiting: at tier 2 when tier 1 is done
            done = 1 if tiers == 2 and rng.random() < 0.5 else 0
            end = self.now
        else:
            done, end = tiers, approved
        approvals, starts = [], [submitted]
        for tier in range(1, done + 1):
            eligible = [u for u in plan.approvers.get(tier, []) if u.pk not in makers]
            if len(eligible) < per_tier:
                return []  # nobody here could have approved it: leave it without a round
            decided = end if tier == tiers else submitted + (end - submitted) * tier / (tiers + 1)
            starts.append(decided)
            approvals.extend(
                Approval(
                    ticket_id=ticket.pk,
                    tier=tier,
                    approver_id=user.pk,
                    decision=Approval.Decision.APPROVED,
                    decided_at=decided,
                )
                for user in rng.sample(eligible, per_tier)
            )
        waiting_since = starts[min(done, tiers - 1)]
        approval_round = ApprovalRound(
            ticket_id=ticket.pk,
            client_id=ticket.client_id,
            tiers_needed=tiers,
            per_tier=per_tier,
            current_tier=0 if approved else done + 1,
            diff_hash=diff_hash(items),
            status=ApprovalRound.Status.APPROVED if approved else ApprovalRound.Status.OPEN,
            submitted_by_id=ticket.assignee_id,
            submitted_at=submitted,
            tier_due_at=self.calendars[ticket.client_id].add(
                waiting_since, dt.timedelta(minutes=policy.approval_sla_minutes)
            ),
            closed_at=approved,
        )
        for approval in approvals:
            approval.diff_hash = approval_round.diff_hash
        if approved is not None:  # approval_grant makes the move as the last approver
            last = approvals[-1].approver_id
            for n, event in enumerate(events):
                if event[3] == KIND_TRANSITION and event[5] == State.APPROVED:
                    events[n] = (*event[:2], last, *event[3:])
        return [(approval_round, approvals)]


def _reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` fresh ids of `model`, so that rows are inserted knowing their ids (a ticket
    with its reference; a change item with its history row)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite (the embedded demo): one writer, inside the chunk's transaction.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        start = cursor.fetchone()[0] + 1
    return list(range(start, start + count))


def _copy(table: str, columns: list[str], rows) -> None:
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    statement = f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _db_values(fields: list[models.Field]):
    """A function giving an object's values for `fields` as the database takes them."""
    # Only JSON needs converting (to psycopg's Jsonb); the rest is passed as it is.
    json = {n for n, f in enumerate(fields) if f.get_internal_type() == "JSONField"}
    attnames = [field.attname for field in fields]

    def values(obj) -> list:
        row = [getattr(obj, attname) for attname in attnames]
        for n in json:
            row[n] = fields[n].get_db_prep_save(row[n], connection)
        return row

    return values


def copy_with_history(model: type[models.Model], objs: list[models.Model]) -> None:
    """What simple-history's `bulk_create_with_history` writes — the rows and one "+"
    history row each, dated, attributed and explained by `_history_date`,
    `_history_user` and `_change_reason` — written with PostgreSQL's COPY, about ten
    times faster. Every object must have its id (`_reserve_ids`).

    The history columns are read from the historical model, so a field added to the model
    is copied too; a history column this function cannot fill is an error, not a gap.
    """
    fields = list(model._meta.concrete_fields)
    row_values = _db_values(fields)
    _copy(model._meta.db_table, [f.column for f in fields], (row_values(o) for o in objs))

    historical = model.history.model  # type: ignore[attr-defined]
    tracked = {field.attname for field in historical.tracked_fields}
    columns = [f for f in historical._meta.concrete_fields if not f.primary_key]
    copied = [f for f in columns if f.attname in tracked]
    extra = [f.attname for f in columns if f.attname not in tracked]
    if extra != ["history_date", "history_change_reason", "history_type", "history_user_id"]:
        raise NotImplementedError(f"{historical.__name__} has history columns {extra}.")
    copied_values = _db_values(copied)

    def history_row(obj) -> list:
        user = getattr(obj, "_history_user", None)
        return [
            *copied_values(obj),
            obj._history_date,
            getattr(obj, "_change_reason", ""),
            "+",
            user.pk if user is not None else None,
        ]

    _copy(
        historical._meta.db_table,
        [f.column for f in copied]
        + ["history_date", "history_change_reason", "history_type", "history_user_id"],
        (history_row(obj) for obj in objs),
    )


def _write_with_history(model: type[models.Model], objs: list[models.Model]) -> None:
    if connection.vendor == "postgresql":
        copy_with_history(model, objs)
    else:
        bulk_create_with_history(objs, model, batch_size=BATCH)


def _plain_write(model: type[models.Model], objs: list[models.Model]) -> None:
    """Rows of a model that is not history-tracked: COPY on PostgreSQL, bulk_create
    elsewhere. Objects without an id get theirs from the database."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=BATCH)  # type: ignore[attr-defined]
        return
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and objs[0].pk is None)]
    row_values = _db_values(fields)
    _copy(model._meta.db_table, [f.column for f in fields], (row_values(o) for o in objs))


def _events_write(rows: list[tuple]) -> None:
    """Timeline events (not history-tracked): COPY on PostgreSQL, bulk_create elsewhere."""
    if connection.vendor == "postgresql":
        _copy(TicketEvent._meta.db_table, list(EVENT_COLUMNS), rows)
        return
    events = [TicketEvent(**dict(zip(EVENT_COLUMNS, row, strict=True))) for row in rows]
    TicketEvent.objects.bulk_create(events, batch_size=BATCH)


def _plans() -> list[ClientPlan]:
    plans = []
    for client in Client.objects.filter(is_active=True).order_by("pk"):
        members = User.objects.filter(memberships__client=client, is_active=True).order_by("pk")
        policies = {
            category: Policy(client=client, category=category, **values)
            for category, values in DEFAULT_POLICIES.items()
        }
        policies.update((p.category, p) for p in Policy.objects.filter(client=client))
        plans.append(
            ClientPlan(
                client=client,
                customer_ids=list(
                    Customer.objects.filter(client=client)
                    .order_by("pk")
                    .values_list("pk", flat=True)
                ),
                floor=list(members.filter(groups__name__in=[Role.AGENT, Role.SUPERVISOR])),
                security=list(members.filter(groups__name=Role.SECURITY)),
                approvers={
                    1: list(members.filter(groups__name=Role.SUPERVISOR)),
                    2: list(members.filter(groups__name=Role.COMPLIANCE)),
                },
                policies=policies,
            )
        )
    return plans


@dataclass
class SeedTicketsResult:
    tickets: int = 0
    items: int = 0
    events: int = 0
    approval_rounds: int = 0
    seconds: float = 0.0
    by_state: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATE_MIX, 0))

    def add(self, other: "SeedTicketsResult") -> None:
        self.tickets += other.tickets
        self.items += other.items
        self.events += other.events
        self.approval_rounds += other.approval_rounds
        for state, number in other.by_state.items():
            self.by_state[state] += number


def _write_chunk(builder: _Builder, first: int, size: int) -> SeedTicketsResult:
    """Tickets at positions first..first+size-1, with items, events and history: one
    transaction, so an interrupted run leaves whole tickets."""
    done = SeedTicketsResult()
    with transaction.atomic():
        tickets, items, events, rounds = [], [], [], []
        ids = _reserve_ids(Ticket, size)
        for ticket_id, position in zip(ids, range(first, first + size), strict=True):
            ticket, ticket_items, ticket_events, ticket_rounds = builder.ticket(ticket_id, position)
            tickets.append(ticket)
            items.extend(ticket_items)
            events.extend(ticket_events)
            rounds.extend(ticket_rounds)
            done.by_state[ticket.state] += 1
        if connection.vendor == "postgresql":
            for item, item_id in zip(items, _reserve_ids(ChangeItem, len(items)), strict=True):
                item.id = item_id
        _write_with_history(Ticket, tickets)
        _write_with_history(ChangeItem, items)
        _events_write(events)
        approvals = []
        round_ids = _reserve_ids(ApprovalRound, len(rounds)) if rounds else []
        for (approval_round, round_approvals), round_id in zip(rounds, round_ids, strict=True):
            approval_round.id = round_id
            for approval in round_approvals:
                approval.round_id = round_id
            approvals.extend(round_approvals)
        _plain_write(ApprovalRound, [approval_round for approval_round, _ in rounds])
        _plain_write(Approval, approvals)
    done.tickets, done.items, done.events = len(tickets), len(items), len(events)
    done.approval_rounds = len(rounds)
    return done


# Set in the parent before forking, so that workers inherit it instead of pickling it.
_worker_builder: _Builder | None = None


def _worker_chunk(span: tuple[int, int]) -> SeedTicketsResult:
    assert _worker_builder is not None
    try:
        return _write_chunk(_worker_builder, *span)
    finally:
        connection.close()  # each chunk its own connection: nothing lingers after the pool


def _workers_for(count: int, chunk: int) -> int:
    """Worker processes: one a CPU on PostgreSQL for big runs, else work in-process
    (SQLite has one writer; inside a transaction, e.g. a test, there is one connection)."""
    if connection.vendor != "postgresql" or count < 4 * chunk or connection.in_atomic_block:
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


def seed_tickets(
    *, count: int, stdout=None, seed: int = SEED, chunk: int = CHUNK, workers: int | None = None
) -> SeedTicketsResult:
    """Create `count` tickets over the active clients' existing customers.

    Every client needs customers and at least one agent or supervisor (seed_demo makes
    both). Progress goes to `stdout` (anything with `write`) once a chunk. Big runs on
    PostgreSQL build and write chunks in parallel worker processes (`workers`, default
    one a CPU): Python builds rows while PostgreSQL indexes the previous ones.
    """
    global _worker_builder
    write: Callable[[str], object] = stdout.write if stdout is not None else (lambda _: None)
    plans = [plan for plan in _plans() if plan.customer_ids and plan.floor]
    result = SeedTicketsResult()
    if count <= 0:
        return result
    if not plans:
        raise ValueError("No client has both customers and floor staff: run seed_demo first.")
    started = time.monotonic()
    # Positions carry on from the tickets already there, so a re-run draws new tickets.
    offset = Ticket.objects.count()
    builder = _Builder(plans, timezone.now(), seed, run_start=offset)
    spans = [(offset + start, min(chunk, count - start)) for start in range(0, count, chunk)]

    def progress(done: SeedTicketsResult) -> None:
        result.add(done)
        elapsed = time.monotonic() - started
        write(
            f"  {result.tickets:>9,} / {count:,} tickets  ({elapsed:.1f} s, "
            f"{result.tickets / elapsed:,.0f} a second)\n"
        )

    workers = workers or _workers_for(count, chunk)
    if workers == 1:
        for span in spans:
            progress(_write_chunk(builder, *span))
    else:
        connection.close()  # forked children must not share the parent's connection
        _worker_builder = builder
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for done in pool.imap_unordered(_worker_chunk, spans):
                    progress(done)
        finally:
            _worker_builder = None
    if connection.vendor == "postgresql":
        # Fresh statistics, so that the queue's plans fit the new data straight away.
        with connection.cursor() as cursor:
            for model in (Ticket, ChangeItem, TicketEvent, ApprovalRound, Approval):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    result.seconds = time.monotonic() - started
    return result
