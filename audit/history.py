"""Reads for the history pages (docs/design.md §7): a customer's profile versions across every
django-simple-history table of the profile, newest first, grouped by ticket.

Each historical row is a *version*; its per-field before/after comes from the previous
version of the same row. Built to stay fast with tens of thousands of versions for one
customer (docs/performance.md, tests/bench/history_bench.py):

- keyset pages on (history_date, model rank, history_id): one UNION ALL of the history
  tables, each branch an index range scan on (customer_id, history_date, history_id)
  (customers migration 0002) with its own LIMIT, so page 400 costs what page 1 costs;
- one more query fetches the page's rows *and* the version before each of them, every
  row as a JSON object (the tables have different columns), whatever the page holds;
- each ticket group is enriched in four queries (tickets, verification attempts,
  approvals, confirmations), whatever the number of groups.

Values go out only through privacy.masking.display with the model's field_policies;
secrets (fields classed SECRET or without a policy) are never shown, not even to a
data-subject export: only that they were set or changed.
"""

import base64
import binascii
import dataclasses
import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connection, connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from simple_history.utils import get_history_model_for_model

from profiledesk.accounts.naming import staff_name_of
from profiledesk.approvals.models import Approval
from profiledesk.clients.scoping import client_ids_for
from profiledesk.confirmations.models import Confirmation
from profiledesk.connectors.models import Delivery
from profiledesk.customers import models as m
from profiledesk.messaging.models import Message
from profiledesk.privacy.masking import SECRET_SET, display
from profiledesk.privacy.sensitivity import SECRET, FieldPolicy
from profiledesk.tickets.models import Channel, Ticket, TicketEvent
from verification.models import Attempt, Waiver

from .models import AuditEvent

# The history tables, in a fixed order: the index is the model's rank in the keyset.
HISTORY_MODELS: list[type[models.Model]] = list(m.PROFILE_MODELS)
RANK = {model: rank for rank, model in enumerate(HISTORY_MODELS)}
SECTION_OF: dict[type[models.Model], str] = {m.Customer: "customer"} | {
    model: section for section, models_ in m.PROFILE_SECTIONS.items() for model in models_
}
MODEL_BY_KEY: dict[str, type[models.Model]] = {
    str(model._meta.model_name): model for model in HISTORY_MODELS
}
# Never shown at all (not even masked): PCI DSS lets BIN + last four be shown, the desk
# shows brand + last four of a card in history. Keys and bookkeeping are not changes.
HIDDEN_FIELDS: dict[type[models.Model], set[str]] = {m.PaymentCard: {"bin"}}
SKIPPED = {"id", "customer", "client", "search_name"}
# What names the row a version is of (a phone among several), masked like the value.
SUBJECT_FIELD = {
    m.EmailAddress: "email",
    m.PhoneNumber: "number",
    m.PostalAddress: "line1",
    m.SecurityQuestion: "question",
    m.LinkedAccount: "provider",
    m.BankAccount: "iban_masked",
}
KIND = {"+": "created", "~": "changed", "-": "deleted"}
# Apply (and rollback) write "<reference> applied" as each history row's change reason;
# an automatic apply "automatic (API key …, assertion …): <reference> applied"
# (automation.services.history_reason). The greedy head takes the LAST "): <reference> ",
# the one the desk wrote after the key's name: a key named "x): PD-1 applied" forges none.
REFERENCE_RE = re.compile(r"^(?:automatic \(.*\): )?(?P<reference>[A-Z]{2,5}-\d+) ")
AUTOMATIC_PREFIX = "automatic ("
PAGE_SIZE = 25
BATCH = 500


# --- the public shapes ----------------------------------------------------------------


@dataclass
class ValueCell:
    """One value of a change as the page draws it (templates/audit/_version.html): the
    masked text and, for a value compliance may reveal, its element's id (the htmx
    target) and, once `reveal_urls` has run for the page, the reveal form's URL. Built
    here rather than in the template: a page has ~100 of them."""

    text: str
    target: str = ""  # "hv-<table>-<side>-<field>-<history id>"; "" when not revealable
    history_id: int | None = None  # the history row that holds this value
    url: str = ""
    dash: bool = False  # the "after" of a deletion: nothing, not even a masked value


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: str  # already masked / displayed
    after: str
    # A masked (not secret) value a compliance officer may reveal, and the history row
    # that holds the "before" value (the previous version).
    revealable: bool = False
    before_history_id: int | None = None
    cells: tuple[ValueCell, ValueCell] | tuple[()] = ()  # (before, after) as drawn

    @property
    def reveal_reason_label(self) -> str:
        return _("Reason for revealing %(label)s (recorded)") % {"label": self.label}

    @property
    def reveal_label(self) -> str:
        return _("Reveal %(label)s") % {"label": self.label}


@dataclass(frozen=True)
class Version:
    at: dt.datetime
    section: str
    model_label: str
    object_id: int
    history_id: int
    kind: str  # "created" | "changed" | "deleted"
    staff_username: str
    reason: str
    reference: str
    changes: tuple[FieldChange, ...]
    model_key: str = ""  # e.g. "phonenumber": the reveal URL's name for the table
    subject: str = ""  # which row: "+44 •••• ••0123", "Visa •••• 1111"
    staff_id: int | None = None
    customer_id: int | None = None
    customer_number: str = ""  # filled in where the page is not one customer's (activity)
    staff_name: str = ""  # as the desk names staff everywhere (accounts/naming.py)


@dataclass(frozen=True)
class HistoryFilters:
    """What the timeline is narrowed to; dates are days in the client's time zone."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    category: str = ""  # a key of PROFILE_SECTIONS: "billing" = cards and bank accounts
    staff_id: int | None = None


@dataclass(frozen=True)
class Cursor:
    """A position in a timeline: (history_date, model rank, history_id). Opaque."""

    at: dt.datetime
    rank: int
    history_id: int

    def encode(self) -> str:
        text = f"{self.at.astimezone(dt.UTC).isoformat()}|{self.rank}|{self.history_id}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> "Cursor":
        """The cursor `token` names; ValueError for anything that is not one."""
        try:
            text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            moment, rank, history_id = text.split("|")
            at = dt.datetime.fromisoformat(moment)
            cursor = cls(at, int(rank), int(history_id))
            # A moment the database can be asked about (year 1 at +14:00 is not one).
            at.astimezone(dt.UTC)
        except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError) as error:
            raise ValueError("not a history cursor") from error
        if (
            timezone.is_naive(at)
            or not 0 <= cursor.rank < len(HISTORY_MODELS)
            or not 0 < cursor.history_id < 2**63  # a bigint
        ):
            raise ValueError("not a history cursor")
        return cursor


@dataclass(frozen=True)
class Waived:
    """Compliance waived the ticket's verification (a rollback's evidence)."""

    by: str
    at: dt.datetime
    reason: str


@dataclass(frozen=True)
class AttemptFacts:
    method: str
    purpose: str
    result: str
    staff: str  # "" when the desk recorded it with no agent
    at: dt.datetime


@dataclass(frozen=True)
class ApprovalFacts:
    tier: int
    decision: str
    reason: str
    approver: str
    decided_at: dt.datetime
    voided_at: dt.datetime | None


@dataclass(frozen=True)
class ConfirmationFacts:
    channel: str  # the message's channel; "" for the client's app (a delivery)
    status: str  # the message's or the delivery's
    recipient_masked: str
    done_at: dt.datetime | None  # sent, or delivered to the app


@dataclass
class TicketFacts:
    """What a ticket group shows of its ticket, read as values (`_enrich`)."""

    pk: int
    reference: str
    category: str
    channel: str
    state: str
    created_by: str  # "" when the client's systems opened it
    rollback_of: str  # the reference of the ticket it rolls back, or ""
    waiver: Waived | None
    attempts: list[AttemptFacts] = field(default_factory=list)
    approvals: list[ApprovalFacts] = field(default_factory=list)
    confirmations: list[ConfirmationFacts] = field(default_factory=list)
    rollbacks: list[tuple[str, str]] = field(default_factory=list)  # (reference, state)

    @property
    def is_rollback(self) -> bool:
        return self.channel == Channel.INTERNAL


@dataclass
class Group:
    """Consecutive versions written by one ticket (or, without one, one reason and user)."""

    reference: str
    reason: str
    staff_username: str
    staff_id: int | None
    versions: list[Version] = field(default_factory=list)
    staff_name: str = ""  # as the desk names staff everywhere (accounts/naming.py)
    ticket: TicketFacts | None = None
    attempts: list[AttemptFacts] = field(default_factory=list)
    approvals: list[ApprovalFacts] = field(default_factory=list)
    confirmations: list[ConfirmationFacts] = field(default_factory=list)

    @property
    def at(self) -> dt.datetime:
        return self.versions[0].at


@dataclass(frozen=True)
class HistoryPage:
    versions: list[Version]
    groups: list[Group]
    older: Cursor | None  # the `after` of the next (older) page
    newer: Cursor | None  # the `before` of the previous (newer) page
    time_zone: str


# --- the SQL ----------------------------------------------------------------------------


def _reading_connection() -> BaseDatabaseWrapper:
    """The connection the router gives reads of the history (the replica inside
    `profiledesk.replica.replica_reads`, if one is configured): raw SQL asks it too."""
    return connections[router.db_for_read(HISTORY_MODELS[0])]


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _db_time(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _aware(value) -> dt.datetime:
    """A datetime read by a raw cursor or from JSON: SQLite gives naive UTC text."""
    if isinstance(value, str):
        value = parse_datetime(value.replace(" ", "T"))
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


@functools.cache
def _historical(model: type[models.Model]) -> type[models.Model]:
    # `model.history` builds a new manager class on every access: look it up once.
    historical: type[models.Model] = get_history_model_for_model(model)
    return historical


def customer_column(model: type[models.Model]) -> str:
    return "id" if model is m.Customer else "customer_id"


@dataclass(frozen=True)
class _Scope:
    """Which history rows a timeline reads: SQL on the history table aliased `h`."""

    sql: str
    params: tuple


def _scope_customer(customer) -> Callable[[type[models.Model]], _Scope]:
    return lambda model: _Scope(f"h.{_q(customer_column(model))} = %s", (customer.pk,))


def _branch(
    model: type[models.Model],
    scope: _Scope,
    *,
    since: dt.datetime | None,
    until: dt.datetime | None,
    staff_id: int | None,
    reason: str | None,
    cursor: Cursor | None,
    older: bool,
    limit: int,
) -> tuple[str, list]:
    """One table's share of a page: an index range scan that stops after `limit` rows."""
    rank = RANK[model]
    where, params = [scope.sql], list(scope.params)
    if since is not None:
        where.append("h.history_date >= %s")
        params.append(_db_time(since))
    if until is not None:
        where.append("h.history_date < %s")
        params.append(_db_time(until))
    if staff_id is not None:
        where.append("h.history_user_id = %s")
        params.append(staff_id)
    if reason is not None:
        where.append("h.history_change_reason = %s")
        params.append(reason)
    if cursor is not None:
        # (at, rank, id) beyond the cursor; the rank is a constant of this branch.
        less, strict = ("<", "<") if older else (">", ">")
        if rank == cursor.rank:
            where.append(f"(h.history_date, h.history_id) {strict} (%s, %s)")
            params += [_db_time(cursor.at), cursor.history_id]
        else:
            beyond = (rank < cursor.rank) if older else (rank > cursor.rank)
            where.append(f"h.history_date {less}{'=' if beyond else ''} %s")
            params.append(_db_time(cursor.at))
    order = "DESC" if older else "ASC"
    # Identifiers come from model metadata and numbers from int(); values are parameters.
    sql = (
        f"SELECT * FROM (SELECT {rank} AS r, h.history_id AS hid, h.history_date AS at "  # noqa: S608
        f"FROM {_q(_historical(model)._meta.db_table)} h WHERE {' AND '.join(where)} "
        f"ORDER BY h.history_date {order}, h.history_id {order} LIMIT {int(limit)}) b{rank}"
    )
    return sql, params


def _keys(
    *,
    models_: Sequence[type[models.Model]],
    scope,
    since=None,
    until=None,
    staff_id=None,
    reason=None,
    cursor: Cursor | None = None,
    older: bool = True,
    limit: int,
) -> list[tuple[int, int, dt.datetime]]:
    """Query 1 of a page: the (rank, history_id, at) of up to `limit` versions, in the
    order read: newest first if `older`, else oldest first."""
    parts, params = [], []
    for model in models_:
        sql, branch_params = _branch(
            model,
            scope(model),
            since=since,
            until=until,
            staff_id=staff_id,
            reason=reason,
            cursor=cursor,
            older=older,
            limit=limit,
        )
        parts.append(sql)
        params += branch_params
    if not parts:
        return []
    order = "DESC" if older else "ASC"
    sql = (
        f"SELECT r, hid, at FROM ({' UNION ALL '.join(parts)}) page "  # noqa: S608 - as _branch
        f"ORDER BY at {order}, r {order}, hid {order} LIMIT {int(limit)}"
    )
    with _reading_connection().cursor() as db:
        db.execute(sql, params)
        return [(r, hid, _aware(at)) for r, hid, at in db.fetchall()]


@functools.cache
def _json_of(model: type[models.Model]) -> str:
    history = _historical(model)
    # (A concrete field always has a column.)
    names = [
        f.column for f in history._meta.concrete_fields if f.column and f.name != "history_user"
    ]
    names.append("history_user_id")
    pairs = ", ".join(f"'{name}', h.{_q(name)}" for name in names)
    function = "json_build_object" if connection.vendor == "postgresql" else "json_object"
    return f"{function}({pairs})"


def _rows(keys: list[tuple[int, int, dt.datetime]]) -> dict[tuple[int, int], dict]:
    """Query 2 of a page: the page's history rows and the version before each of them
    (same row, the latest earlier one), as {(rank, history_id): row dict}."""
    by_rank: dict[int, list[int]] = {}
    for rank, history_id, _at in keys:
        by_rank.setdefault(rank, []).append(history_id)
    if not by_rank:
        return {}
    users = _q(get_user_model()._meta.db_table)
    parts, params = [], []
    for rank, ids in by_rank.items():
        table = _q(_historical(HISTORY_MODELS[rank])._meta.db_table)
        marks = ", ".join(["%s"] * len(ids))
        # Identifiers from model metadata, ids as parameters.
        parts.append(
            f"SELECT {rank} AS r, h.history_id AS hid, {_json_of(HISTORY_MODELS[rank])} AS row, "  # noqa: S608
            f"u.username AS who, u.first_name AS who_first, u.last_name AS who_last "
            f"FROM {table} h LEFT JOIN {users} u ON u.id = h.history_user_id "
            f"WHERE h.history_id IN ({marks}) OR h.history_id IN ("
            f"SELECT (SELECT p.history_id FROM {table} p WHERE p.id = x.id AND "
            f"(p.history_date, p.history_id) < (x.history_date, x.history_id) "
            f"ORDER BY p.history_date DESC, p.history_id DESC LIMIT 1) "
            f"FROM {table} x WHERE x.history_id IN ({marks}))"
        )
        params += ids + ids
    found = {}
    with _reading_connection().cursor() as db:
        db.execute(" UNION ALL ".join(parts), params)
        for rank, history_id, row, who, who_first, who_last in db.fetchall():
            values = json.loads(row) if isinstance(row, str) else dict(row)
            values["_who"] = who or ""
            values["_who_name"] = staff_name_of(
                username=who or "", first_name=who_first or "", last_name=who_last or ""
            )
            found[(rank, history_id)] = values
    return found


# --- from rows to versions ------------------------------------------------------------


def _automatic(reason: str) -> str:
    """Who applied a row no staff member wrote: an auditor must see that it was the
    machine, not read "system" and wonder (issue 18)."""
    return (
        str(_("the desk itself (automatic, no staff member)"))
        if reason.startswith(AUTOMATIC_PREFIX)
        else ""
    )


def _value(field_: models.Field, raw):
    """A stored value as a person reads it (masking comes after)."""
    if raw is None:
        return None
    if isinstance(field_, models.ForeignKey):
        # Another profile row (a card's billing address): which one, not its content.
        return f"{field_.related_model._meta.verbose_name} #{raw}"
    if isinstance(field_, models.DateTimeField):
        # Explicitly UTC: the page's own times follow the client's zone, values do not.
        return f"{_aware(raw).astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
    if isinstance(field_, models.BooleanField):
        return _("yes") if field_.to_python(raw) else _("no")
    value = field_.to_python(raw)
    if field_.choices:
        return str(dict(field_.flatchoices).get(value, value))
    return value


def _policy(model, field_: models.Field) -> FieldPolicy:
    # A field without a policy is treated as a secret: shown only as "set".
    return getattr(model, "field_policies", {}).get(field_.name, SECRET)


def _shown_fields(model) -> list[models.Field]:
    hidden = SKIPPED | HIDDEN_FIELDS.get(model, set())
    return [f for f in model._meta.concrete_fields if f.name not in hidden]


def _subject(model, row: dict, revealed: bool) -> str:
    if model is m.PaymentCard:
        return f"{row.get('brand') or ''} •••• {row.get('last4') or ''}".strip()
    name = SUBJECT_FIELD.get(model)
    if not name:
        return ""
    field_ = model._meta.get_field(name)
    return display(
        _value(field_, row.get(field_.column)), _policy(model, field_), revealed=revealed
    )


def _cell(model, field_name: str, side: str, text: str, hid, revealable: bool) -> ValueCell:
    if not (revealable and hid and text):
        return ValueCell(text=text, history_id=hid)
    target = f"hv-{model._meta.model_name}-{side}-{field_name}-{hid}"
    return ValueCell(text=text, target=target, history_id=hid)


def _changes(model, row: dict, prev: dict | None, kind: str, revealed: bool):
    changes = []
    for field_ in _shown_fields(model):
        policy = _policy(model, field_)
        secret = policy.sensitivity == SECRET.sensitivity
        after_raw = row.get(field_.column)
        before_raw = prev.get(field_.column) if prev is not None else None
        if kind == "changed" and prev is not None and before_raw == after_raw:
            continue
        if kind == "created" and after_raw in (None, ""):
            continue
        if kind == "deleted":
            before_raw, after_raw = after_raw, None
        if secret:
            before = SECRET_SET if before_raw not in (None, "") else ""
            after = SECRET_SET if kind == "created" else _("changed") if after_raw else ""
        else:
            before = display(_value(field_, before_raw), policy, revealed=revealed)
            after = display(_value(field_, after_raw), policy, revealed=revealed)
        revealable = policy.revealable and not revealed
        # A deleted version holds the values it removed.
        before_hid = (
            row["history_id"]
            if kind == "deleted"
            else prev["history_id"]
            if prev is not None
            else None
        )
        if kind == "deleted":
            after_cell = ValueCell(text=after, dash=True)
        else:
            after_cell = _cell(model, field_.name, "after", after, row["history_id"], revealable)
        changes.append(
            FieldChange(
                field=field_.name,
                label=str(field_.verbose_name),
                before=before,
                after=after,
                revealable=revealable,
                before_history_id=before_hid,
                cells=(
                    _cell(model, field_.name, "before", before, before_hid, revealable),
                    after_cell,
                ),
            )
        )
    return tuple(changes)


def _versions(keys, rows: dict, *, revealed: bool = False) -> list[Version]:
    # The version before each page row is the latest fetched row of the same object
    # that comes before it (query 2 fetched exactly those).
    by_object: dict[tuple[int, int], list[dict]] = {}
    for (rank, _hid), row in rows.items():
        by_object.setdefault((rank, row["id"]), []).append(row)
    for history in by_object.values():
        history.sort(key=lambda r: (_aware(r["history_date"]), r["history_id"]))
    versions = []
    for rank, history_id, at in keys:
        row = rows.get((rank, history_id))
        if row is None:
            continue
        model = HISTORY_MODELS[rank]
        history = by_object[(rank, row["id"])]
        index = history.index(row)
        prev = history[index - 1] if index > 0 else None
        kind = KIND.get(row["history_type"], "changed")
        reason = row.get("history_change_reason") or ""
        match = REFERENCE_RE.match(reason)
        versions.append(
            Version(
                at=at,
                section=SECTION_OF[model],
                model_label=str(model._meta.verbose_name),
                object_id=row["id"],
                history_id=history_id,
                kind=kind,
                staff_username=row["_who"],
                staff_name=row["_who_name"] or _automatic(reason),
                reason=reason,
                reference=match["reference"] if match else "",
                changes=_changes(model, row, prev, kind, revealed),
                model_key=model._meta.model_name,
                subject=_subject(model, row, revealed),  # a deleted row keeps its last values
                staff_id=row.get("history_user_id"),
                customer_id=row.get(customer_column(model)),
            )
        )
    return versions


def _groups(versions: list[Version]) -> list[Group]:
    groups: list[Group] = []
    for version in versions:
        key = (version.reference, version.reference or version.reason, version.staff_id)
        last = groups[-1] if groups else None
        if (
            last is not None
            and (last.reference, last.reference or last.reason, last.staff_id) == key
        ):
            last.versions.append(version)
            continue
        groups.append(
            Group(
                reference=version.reference,
                reason=version.reason,
                staff_username=version.staff_username,
                staff_name=version.staff_name,
                staff_id=version.staff_id,
                versions=[version],
            )
        )
    return groups


def _column(model: type[models.Model], name: str) -> str:
    field_ = model._meta.get_field(name)
    assert isinstance(field_, models.Field) and field_.column  # a concrete field
    return _q(field_.column)


def _table(model: type[models.Model]) -> str:
    return _q(model._meta.db_table)


def _name(username, first, last) -> str:
    """A staff member named as the desk names them; "" for nobody."""
    return staff_name_of(username=username or "", first_name=first or "", last_name=last or "")


def _ticket_facts(client_id: int, references: list[str]) -> dict[str, TicketFacts]:
    """Query 1 of the enrichment: the groups' tickets with who opened them, the ticket
    each rolls back and its verification waiver."""
    users, ticket = _table(get_user_model()), _table(Ticket)
    column = functools.partial(_column, Ticket)
    waiver = functools.partial(_column, Waiver)
    marks = ", ".join(["%s"] * len(references))
    # Identifiers from model metadata; values are parameters.
    sql = (
        f"SELECT t.id, t.{column('reference')}, t.{column('category')}, "  # noqa: S608
        f"t.{column('channel')}, t.{column('state')}, o.{column('reference')}, "
        "cu.username, cu.first_name, cu.last_name, "
        f"w.id, w.{waiver('reason')}, w.{waiver('at')}, wu.username, wu.first_name, "
        f"wu.last_name FROM {ticket} t "
        f"LEFT JOIN {ticket} o ON o.id = t.{column('rollback_of')} "
        f"LEFT JOIN {users} cu ON cu.id = t.{column('created_by')} "
        f"LEFT JOIN {_table(Waiver)} w ON w.{waiver('ticket')} = t.id "
        f"LEFT JOIN {users} wu ON wu.id = w.{waiver('by')} "
        f"WHERE t.{column('client')} = %s AND t.{column('reference')} IN ({marks})"
    )
    found = {}
    with _reading_connection().cursor() as db:
        db.execute(sql, [client_id, *references])
        for row in db.fetchall():
            pk, reference, category, channel, state, of, *creator = row[:9]
            waiver_id, reason, at, *by = row[9:]
            found[reference] = TicketFacts(
                pk=pk,
                reference=reference,
                category=category,
                channel=channel,
                state=state,
                created_by=_name(*creator),
                rollback_of=of or "",
                waiver=Waived(by=_name(*by), at=_aware(at), reason=reason)
                if waiver_id is not None
                else None,
            )
    return found


def _evidence(ids: list[int]) -> list[tuple]:
    """Query 2 of the enrichment: the tickets' verification attempts, approvals,
    confirmations (with their outbox) and rollback tickets, one UNION ALL whose rows say
    which they are (the first column). The first branch types every column, so that
    PostgreSQL can match the NULLs of the others."""
    users = _table(get_user_model())
    attempt = functools.partial(_column, Attempt)
    approval = functools.partial(_column, Approval)
    confirmation = functools.partial(_column, Confirmation)
    message = functools.partial(_column, Message)
    delivery = functools.partial(_column, Delivery)
    ticket = functools.partial(_column, Ticket)
    marks = ", ".join(["%s"] * len(ids))
    # (kind, ticket id, at, id, s1, s2, s3, s4, s5, s6, at2, n): identifiers from model
    # metadata, ids as parameters.
    sql = " UNION ALL ".join(
        [
            f"SELECT {_ATTEMPT} AS k, a.{attempt('ticket')} AS tid, a.{attempt('at')} AS at, "  # noqa: S608
            f"a.id AS id, a.{attempt('method')} AS s1, a.{attempt('purpose')} AS s2, "
            f"a.{attempt('result')} AS s3, su.username AS s4, su.first_name AS s5, "
            "su.last_name AS s6, CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS at2, "
            f"CAST(NULL AS INTEGER) AS n FROM {_table(Attempt)} a "
            f"LEFT JOIN {users} su ON su.id = a.{attempt('staff')} "
            f"WHERE a.{attempt('ticket')} IN ({marks})",
            f"SELECT {_APPROVAL}, p.{approval('ticket')}, p.{approval('decided_at')}, p.id, "  # noqa: S608
            f"p.{approval('decision')}, p.{approval('reason')}, NULL, au.username, "
            f"au.first_name, au.last_name, p.{approval('voided_at')}, p.{approval('tier')} "
            f"FROM {_table(Approval)} p "
            f"LEFT JOIN {users} au ON au.id = p.{approval('approver')} "
            f"WHERE p.{approval('ticket')} IN ({marks})",
            f"SELECT {_CONFIRMATION}, c.{confirmation('ticket')}, mg.{message('sent_at')}, "  # noqa: S608
            f"c.id, mg.{message('channel')}, mg.{message('status')}, dl.{delivery('status')}, "
            f"c.{confirmation('recipient_masked')}, NULL, NULL, dl.{delivery('delivered_at')}, "
            f"c.{confirmation('message')} FROM {_table(Confirmation)} c "
            f"LEFT JOIN {_table(Message)} mg ON mg.id = c.{confirmation('message')} "
            f"LEFT JOIN {_table(Delivery)} dl ON dl.id = c.{confirmation('delivery')} "
            f"WHERE c.{confirmation('ticket')} IN ({marks})",
            f"SELECT {_ROLLBACK}, r.{ticket('rollback_of')}, NULL, r.id, "  # noqa: S608
            f"r.{ticket('reference')}, r.{ticket('state')}, NULL, NULL, NULL, NULL, NULL, NULL "
            f"FROM {_table(Ticket)} r WHERE r.{ticket('rollback_of')} IN ({marks})",
        ]
    )
    with _reading_connection().cursor() as db:
        db.execute(sql, ids * 4)
        return db.fetchall()


_ATTEMPT, _APPROVAL, _CONFIRMATION, _ROLLBACK = range(4)


def _enrich(groups: list[Group], *, client_id: int) -> None:
    """Each ticket group's ticket, its verification evidence (attempts, a waiver),
    approvals, confirmations and the tickets rolling it back, as values the page prints
    (audit/history_rows.py): 2 queries whatever the number of groups, none without
    tickets."""
    references = sorted({g.reference for g in groups if g.reference})
    if not references:
        return
    tickets = _ticket_facts(client_id, references)
    if not tickets:
        return
    by_id = {facts.pk: facts for facts in tickets.values()}
    rows = sorted(_evidence(list(by_id)), key=_evidence_order)
    for kind, ticket_id, at, _pk, s1, s2, s3, s4, s5, s6, at2, n in rows:
        facts = by_id[ticket_id]
        if kind == _ATTEMPT:
            facts.attempts.append(
                AttemptFacts(
                    method=s1, purpose=s2, result=s3, staff=_name(s4, s5, s6), at=_aware(at)
                )
            )
        elif kind == _APPROVAL:
            facts.approvals.append(
                ApprovalFacts(
                    tier=n,
                    decision=s1,
                    reason=s2,
                    approver=_name(s4, s5, s6),
                    decided_at=_aware(at),
                    voided_at=_aware(at2) if at2 is not None else None,
                )
            )
        elif kind == _CONFIRMATION:
            in_app = n is None  # no message: the client's app carried it (a delivery)
            done = at2 if in_app else at
            facts.confirmations.append(
                ConfirmationFacts(
                    channel="" if in_app else s1,
                    status=(s3 if in_app else s2) or "",
                    recipient_masked=s4,
                    done_at=_aware(done) if done is not None else None,
                )
            )
        else:
            facts.rollbacks.append((s1, s2))
    for group in groups:
        ticket = tickets.get(group.reference)
        if ticket is None:
            continue
        group.ticket = ticket
        group.attempts = ticket.attempts
        group.approvals = ticket.approvals
        group.confirmations = ticket.confirmations


_NO_TIME = dt.datetime.min.replace(tzinfo=dt.UTC)


def _evidence_order(row: tuple) -> tuple:
    """Attempts by time, approvals by decision time (then id), confirmations and
    rollbacks by id: the order the page lists them in."""
    kind, _ticket, at, pk = row[:4]
    timed = kind in (_ATTEMPT, _APPROVAL) and at is not None
    return (kind, _aware(at) if timed else _NO_TIME, pk)


# --- the public selectors ---------------------------------------------------------------


def _bounds(filters: HistoryFilters, time_zone: str):
    zone = ZoneInfo(time_zone)
    since = until = None
    if filters.date_from:
        since = dt.datetime.combine(filters.date_from, dt.time.min, tzinfo=zone)
    if filters.date_to:
        until = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min, zone)
    return since, until


def _models_for(category: str) -> list[type[models.Model]]:
    return list(m.PROFILE_SECTIONS.get(category, [])) if category else HISTORY_MODELS


def _page(keys_fn, *, after: Cursor | None, before: Cursor | None, limit: int):
    """(keys of the page, older cursor, newer cursor) from a keys function."""
    if before is not None:
        # Oldest first from the cursor up; the page shows the `limit` nearest, newest first.
        keys = keys_fn(cursor=before, older=False, limit=limit + 1)
        has_newer = len(keys) > limit
        keys = keys[:limit][::-1]
        if not has_newer and len(keys) < limit:
            # Back at the top: show a full first page rather than a short one.
            return _page(keys_fn, after=None, before=None, limit=limit)
        older = Cursor(keys[-1][2], keys[-1][0], keys[-1][1]) if keys else None
        newer = Cursor(keys[0][2], keys[0][0], keys[0][1]) if has_newer else None
        return keys, older, newer
    keys = keys_fn(cursor=after, older=True, limit=limit + 1)
    has_older = len(keys) > limit
    keys = keys[:limit]
    older = Cursor(keys[-1][2], keys[-1][0], keys[-1][1]) if has_older else None
    newer = Cursor(keys[0][2], keys[0][0], keys[0][1]) if after is not None and keys else None
    return keys, older, newer


def customer_history(
    *,
    customer,
    viewer,
    filters: HistoryFilters,
    after: Cursor | None = None,
    before: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> HistoryPage:
    """One page of the customer's timeline, newest first, masked, grouped by ticket.
    The caller has checked that `viewer` may see `customer` (audit.views).

    Queries: the page's keys, its rows with their previous versions, then (when the
    page has tickets) tickets, their rollbacks, attempts, approvals and confirmations:
    at most 7."""
    time_zone = customer.client.time_zone or "UTC"
    since, until = _bounds(filters, time_zone)

    def keys_fn(**kwargs):
        return _keys(
            models_=_models_for(filters.category),
            scope=_scope_customer(customer),
            since=since,
            until=until,
            staff_id=filters.staff_id,
            **kwargs,
        )

    keys, older, newer = _page(keys_fn, after=after, before=before, limit=limit)
    versions = _versions(keys, _rows(keys))
    groups = _groups(versions)
    _enrich(groups, client_id=customer.client_id)
    return HistoryPage(versions, groups, older, newer, time_zone)


def reveal_urls(page: HistoryPage, *, customer_id: int) -> None:
    """Give every revealable value of the page its reveal form's URL: one `reverse` for
    the page and a substitution a value (a page has ~100; `{% url %}` twice for each was
    a fifth of its rendering). For a viewer who may reveal (audit.views)."""
    pattern = reverse("audit:history_reveal", args=[customer_id, "xmodelx", _URL_ID, "xfieldx"])
    for version in page.versions:
        for change in version.changes:
            for cell in change.cells:
                if cell.target:
                    cell.url = (
                        pattern.replace("xmodelx", version.model_key)
                        .replace(str(_URL_ID), str(cell.history_id))
                        .replace("xfieldx", change.field)
                    )


_URL_ID = 987654321987  # a stand-in no history id or customer id of a page is


def staff_choices(*, customer) -> list[tuple[int, str]]:
    """(id, name) of the staff of the customer's client: the staff filter's choices,
    named as the desk names staff everywhere."""
    rows = (
        get_user_model()
        .objects.filter(memberships__client_id=customer.client_id)
        .order_by("first_name", "last_name", "username")
        .values_list("pk", "username", "first_name", "last_name")
    )
    return [
        (pk, staff_name_of(username=username, first_name=first, last_name=last))
        for pk, username, first, last in rows
    ]


def customer_versions_all(*, customer, revealed: bool = False) -> Iterator[Version]:
    """Every version of the customer's profile, oldest first, read BATCH at a time (two
    queries a batch). `revealed` shows personal and sensitive values in clear (the
    data-subject export); secrets are never shown either way."""
    cursor = None
    while True:
        keys = _keys(
            models_=HISTORY_MODELS,
            scope=_scope_customer(customer),
            cursor=cursor,
            older=False,
            limit=BATCH,
        )
        if not keys:
            return
        yield from _versions(keys, _rows(keys), revealed=revealed)
        if len(keys) < BATCH:
            return
        cursor = Cursor(keys[-1][2], keys[-1][0], keys[-1][1])


def ticket_versions(*, ticket, limit: int = 200) -> list[Version]:
    """The profile versions `ticket` wrote ("<reference> applied"), newest first: 2 queries."""
    if ticket.customer_id is None or not ticket.reference:
        return []
    keys = _keys(
        models_=HISTORY_MODELS,
        scope=lambda model: _Scope(f"h.{_q(customer_column(model))} = %s", (ticket.customer_id,)),
        reason=f"{ticket.reference} applied",
        limit=limit,
    )
    return _versions(keys, _rows(keys))


ACTIVITY_CAP = 50


def get_staff_for_viewer(viewer, user_id: int, *, perm: str):
    """The staff member `user_id` if they share a client with `viewer`: 403 without
    `perm`, 404 otherwise (another client's staff are not named)."""
    if not viewer.has_perm(perm):
        raise PermissionDenied
    staff = (
        get_user_model()
        .objects.filter(pk=user_id, memberships__client_id__in=client_ids_for(viewer))
        .first()
    )
    if staff is None:
        raise Http404("No such staff member")
    return staff


@dataclass(frozen=True)
class StaffActivity:
    versions: list[Version]  # a keyset page of the profile versions they wrote
    older: Cursor | None
    newer: Cursor | None
    events: list  # tickets.TicketEvent they made, newest first, at most ACTIVITY_CAP
    audit_events: list  # audit.AuditEvent with them as the actor, likewise


def staff_activity(
    *,
    staff,
    viewer,
    since: dt.datetime,
    until: dt.datetime,
    after: Cursor | None = None,
    before: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> StaffActivity:
    """What `staff` touched in [since, until), of the viewer's clients only: 5 queries
    (the versions' keys and rows, their customers' numbers, ticket events, audit events)."""
    sql, params = m.Customer.objects.for_staff(viewer).values("id").query.sql_with_params()

    def scope(model):
        return _Scope(f"h.{_q(customer_column(model))} IN ({sql})", tuple(params))

    def keys_fn(**kwargs):
        return _keys(
            models_=HISTORY_MODELS,
            scope=scope,
            since=since,
            until=until,
            staff_id=staff.pk,
            **kwargs,
        )

    keys, older, newer = _page(keys_fn, after=after, before=before, limit=limit)
    clients = client_ids_for(viewer)
    versions = _versions(keys, _rows(keys))
    whose = {version.customer_id for version in versions if version.customer_id is not None}
    found = m.Customer.objects.filter(pk__in=whose).values_list("id", "number")
    numbers: dict[int | None, str] = dict(found)
    return StaffActivity(
        versions=[
            dataclasses.replace(v, customer_number=numbers.get(v.customer_id, "")) for v in versions
        ],
        older=older,
        newer=newer,
        events=list(
            TicketEvent.objects.filter(
                actor_id=staff.pk, at__gte=since, at__lt=until, ticket__client_id__in=clients
            )
            .select_related("ticket")
            .order_by("-at", "-id")[:ACTIVITY_CAP]
        ),
        audit_events=list(
            AuditEvent.objects.filter(
                actor_id=staff.pk,
                created_at__gte=since,
                created_at__lt=until,
                client_id__in=clients,
            )
            .defer("data")
            .order_by("-id")[:ACTIVITY_CAP]
        ),
    )
