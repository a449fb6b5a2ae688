"""What each export holds, written row by row: the build task streams these into a file.

Each writer is a generator of items (dicts) after a `total` estimate; `render` turns
items into CSV rows or JSON, so every kind exists in both formats from one definition.
Nothing here reads a secret: audit events hold masked values only, history comes from
`audit.history` (masked, or personal values in clear for the data subject, secrets
never), and the profile goes through `privacy.masking.display` field by field.
"""

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import get_history_manager_for_model

from audit.history import AUTOMATIC_PREFIX, customer_versions_all
from audit.models import AuditEvent
from audit.services import chained_fields
from profiledesk.confirmations.models import Confirmation
from profiledesk.customers import models as profile
from profiledesk.messaging.models import Channel as MessageChannel
from profiledesk.messaging.models import Message
from profiledesk.messaging.models import Status as MessageStatus
from profiledesk.privacy.masking import display
from profiledesk.privacy.sensitivity import Sensitivity
from profiledesk.privacy.spreadsheet import spreadsheet_text
from profiledesk.tickets.models import Ticket, TicketEvent
from verification.methods import label as method_label
from verification.methods import method as verification_method
from verification.models import Attempt

from . import statement
from .models import Export, Kind

AUDIT_COLUMNS = [
    "id",
    "created_at",
    "action",
    "actor_id",
    "actor_username",
    "client_id",
    "target_type",
    "target_id",
    "data",
    "ip_address",
    "prev_hash",
    "hash",
]
HISTORY_COLUMNS = [
    "at",
    "section",
    "model",
    "object_id",
    "history_id",
    "kind",
    "staff",
    "reason",
    "reference",
    "field",
    "label",
    "before",
    "after",
]


def iso(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value.isoformat()


@dataclass
class Plan:
    """What a build writes: a header (JSON only), sections of items, and a total."""

    header: dict
    sections: list[tuple[str, Iterator[dict]]] = field(default_factory=list)
    total: int = 0
    columns: list[str] = field(default_factory=list)
    # The CSV holds the items of this one section (CSV is one table).
    csv_section: str = ""


# --- audit events ---------------------------------------------------------------------


def audit_events(export: Export, *, batch: int) -> Iterator[dict]:
    """The client's events in [since, until), oldest first, by keyset on id."""
    events = AuditEvent.objects.filter(
        client_id=export.client_id, created_at__gte=export.since, created_at__lt=export.until
    ).order_by("id")
    last = 0
    while True:
        rows = list(events.filter(id__gt=last)[:batch])
        if not rows:
            return
        for event in rows:
            yield audit_event_item(event)
        last = rows[-1].pk


def audit_event_item(event: AuditEvent) -> dict:
    # Exactly the fields audit.services hashes, so that an auditor can recompute every
    # row's hash from the export alone.
    return {
        "id": event.pk,
        **chained_fields(event),
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


# --- customer history -------------------------------------------------------------------


def history_estimate(customer) -> int:
    """How many versions the customer's history has, about (for the progress bar)."""
    total = profile.Customer.history.filter(id=customer.pk).count()
    for model in profile.PROFILE_MODELS[1:]:
        total += get_history_manager_for_model(model).filter(customer_id=customer.pk).count()
    return total


# The desk's bookkeeping of a secret means nothing to the data subject: a card's token
# changes with its last four, which they see; a new answer is "answer: changed".
SUBJECT_LEFT_OUT = frozenset({"vault_token", "fingerprint"})
SUBJECT_LABELS = {"answer_hash": _("answer")}
# What each message template is, in the data subject's words.
MESSAGE_KINDS = {
    "otp": _("a code to confirm who you are"),
    "confirmation": _("confirmation of a change to your profile"),
}


def versions(
    customer, *, revealed: bool, withheld: frozenset = frozenset(), for_subject: bool = False
) -> Iterator[dict]:
    """The customer's versions, oldest first (audit.history: masked unless `revealed`,
    secrets never); changes of the fields in `withheld` are left out. `for_subject` (the
    data subject's copy) names no staff member, "desk staff" (a username is half of a
    staff sign-in), and gives no change reason: the desk's own text, a freeze's too."""
    left_out = withheld | (SUBJECT_LEFT_OUT if for_subject else frozenset())
    for version in customer_versions_all(customer=customer, revealed=revealed):
        changes = [c for c in version.changes if c.field not in left_out]
        if left_out and version.changes and not changes:
            continue
        staff, reason = version.staff_username, version.reason
        # Applied by the desk's straight-through processing (issue 18): no staff member,
        # and the export says so rather than leave the column empty.
        automatic = not staff and reason.startswith(AUTOMATIC_PREFIX)
        if for_subject:
            staff = _("desk staff") if staff else _("automatic") if automatic else ""
            reason = ""
            changes = [
                dataclasses.replace(c, label=str(SUBJECT_LABELS.get(c.field, c.label)))
                for c in changes
            ]
        elif automatic:
            staff = _("automatic")
        yield {
            "at": iso(version.at),
            "section": version.section,
            "model": version.model_label,
            "object_id": version.object_id,
            "history_id": version.history_id,
            "kind": version.kind,
            "staff": staff,
            "reason": reason,
            "reference": version.reference,
            "changes": [
                {"field": c.field, "label": c.label, "before": c.before, "after": c.after}
                for c in changes
            ],
        }


def _cell(value):
    """A history CSV cell a spreadsheet shows as text: customers type the values (a name
    "=HYPERLINK(...)"), so a formula-like one gets a leading apostrophe. The JSON keeps
    values exact, and the audit-events CSV is left alone: its rows must rehash."""
    return spreadsheet_text(value)


def history_rows(item: dict) -> list[list]:
    """CSV: one row per field change (a version without changes still gets its row)."""
    base = [item[c] for c in HISTORY_COLUMNS[:9]]
    changes = item["changes"] or [{"field": "", "label": "", "before": "", "after": ""}]
    return [
        [_cell(v) for v in (*base, c["field"], c["label"], c["before"], c["after"])]
        for c in changes
    ]


# --- the customer's tickets (JSON only: CSV is the one table of field changes) --------------


def tickets(customer, *, batch: int, for_subject: bool = False) -> Iterator[dict]:
    """The customer's tickets, oldest first; for compliance with their timelines (free
    text redacted of card numbers on arrival) and confirmations (masked recipients), for
    the data subject without the staff's timeline and in words rather than codes. For
    compliance each ticket also lists its verification evidence, named by the method
    registry (verification/methods: label and evidence line, ids and masked values only;
    "staff" empty when no agent recorded it — an app's assertion, a provider's decision).
    Four queries a batch of tickets."""
    with_events = not for_subject

    mine = Ticket.objects.filter(customer=customer).order_by("id")
    last = 0
    while True:
        rows = list(mine.filter(id__gt=last)[:batch])
        if not rows:
            return
        events: dict[int, list[dict]] = {}
        confirmations: dict[int, list[dict]] = {}
        evidence: dict[int, list[dict]] = {}
        ids = [t.pk for t in rows]
        if with_events:
            for attempt in (
                Attempt.objects.filter(ticket_id__in=ids)
                .select_related("staff", "challenge__email", "challenge__phone")
                .order_by("at", "id")
            ):
                plugin = verification_method(attempt.method)
                evidence.setdefault(attempt.ticket_id, []).append(
                    {
                        "at": iso(attempt.at),
                        "method": attempt.method,
                        "method_label": method_label(attempt.method),
                        "purpose": attempt.purpose,
                        "result": attempt.result,
                        "evidence": plugin.evidence(attempt) if plugin else attempt.method,
                        "staff": attempt.staff.get_username() if attempt.staff else "",
                    }
                )
            for event in (
                TicketEvent.objects.filter(ticket_id__in=ids)
                .select_related("actor")
                .order_by("at", "id")
            ):
                events.setdefault(event.ticket_id, []).append(
                    {
                        "at": iso(event.at),
                        "kind": event.kind,
                        "from_state": event.from_state,
                        "to_state": event.to_state,
                        "staff": event.actor.get_username() if event.actor else "",
                        "message": event.message,
                    }
                )
            for confirmation in (
                Confirmation.objects.filter(ticket_id__in=ids)
                .select_related("message", "delivery")
                .order_by("id")
            ):
                confirmations.setdefault(confirmation.ticket_id, []).append(
                    {
                        "to": confirmation.recipient_masked,
                        "channel": confirmation.channel,  # email, sms or app
                        "reason": confirmation.reason,
                        "status": confirmation.status,
                        "sent_at": iso(confirmation.done_at),
                    }
                )
        for ticket in rows:
            item: dict[str, Any] = {
                "reference": ticket.reference or "",
                "channel": ticket.get_channel_display() if for_subject else ticket.channel,
                "category": ticket.get_category_display() if for_subject else ticket.category,
                "state": ticket.get_state_display() if for_subject else ticket.state,
                "created_at": iso(ticket.created_at),
            }
            if with_events:
                item["events"] = events.get(ticket.pk, [])
                item["confirmations"] = confirmations.get(ticket.pk, [])
                item["verification"] = evidence.get(ticket.pk, [])
            yield item
        last = rows[-1].pk


# --- the profile now (data-subject access) -----------------------------------------------

# The desk's own fraud markers are withheld from the data subject's copy (GDPR Art. 23:
# telling a fraudster they are flagged defeats the flag); the lead may decide otherwise.
# A freeze's reason is security's note on the same suspicion (its date stays).
DSAR_WITHHELD = frozenset({"is_flagged", "flag_reason", "frozen_reason"})
# Never in a DSAR's profile: keys, derived search text, and the BIN (brand + last four
# + expiry describe a card).
_LEFT_OUT = {"customer", "search_name", "client", "bin", *DSAR_WITHHELD}


def _row(obj: models.Model) -> dict[str, str]:
    values = {}
    for model_field in obj._meta.concrete_fields:
        name = model_field.name
        policy = getattr(obj, "field_policies", {}).get(name)
        if (
            name in _LEFT_OUT
            or model_field.primary_key
            or policy is None
            or policy.sensitivity == Sensitivity.SECRET
            or model_field.is_relation
        ):
            continue
        value = getattr(obj, name)
        if model_field.choices and value:
            value = getattr(obj, f"get_{name}_display")()
        elif isinstance(value, models.fields.files.FieldFile):
            value = "on file" if value else ""
        elif isinstance(value, dt.datetime):
            value = iso(value)
        elif isinstance(value, bool):
            value = _("yes") if value else _("no")
        values[str(model_field.verbose_name)] = display(value, policy, revealed=True)
    return values


def profile_now(customer) -> dict:
    sections: dict[str, object] = {
        "customer": {
            "customer number": customer.number,
            "customer since": iso(customer.created_at),
            "frozen": iso(customer.frozen_at),
        }
    }
    for section, section_models in profile.PROFILE_SECTIONS.items():
        rows = []
        for model in section_models:
            for obj in model._default_manager.filter(customer=customer).order_by("pk"):
                row = {"type": str(model._meta.verbose_name), **_row(obj)}
                if model is profile.SecurityQuestion:
                    row["answer"] = "set (kept only as a one-way hash; not disclosed)"
                rows.append(row)
        sections[section] = rows
    return sections


def messages(customer, *, batch: int) -> Iterator[dict]:
    """What was sent to the customer: channel, to, template, status, when. Never a body:
    a message's content may have held a one-time code."""
    sent = Message.objects.filter(customer=customer).order_by("id")
    last = 0
    while True:
        rows = list(
            sent.filter(id__gt=last).values(
                "id", "channel", "recipient", "template", "status", "created_at", "sent_at"
            )[:batch]
        )
        if not rows:
            return
        for row in rows:
            yield {
                "channel": str(MessageChannel(row["channel"]).label),
                "to": row["recipient"],
                "template": str(MESSAGE_KINDS.get(row["template"], row["template"])),
                "status": str(MessageStatus(row["status"]).label),
                "queued_at": iso(row["created_at"]),
                "sent_at": iso(row["sent_at"]),
            }
        last = rows[-1]["id"]


# --- plans --------------------------------------------------------------------------------


def _header(export: Export) -> dict:
    header = {
        "export_id": export.pk,
        "kind": export.kind,
        "client": export.client.name,
        "requested_at": iso(export.created_at),
        "generated_at": iso(timezone.now()),
    }
    if export.kind != Kind.DSAR:
        # The data subject's copy names no staff sign-in (see `versions`).
        header["requested_by"] = export.requested_by.get_username()
    if export.customer is not None:
        header["customer_number"] = export.customer.number
    if export.since:
        header["since"] = iso(export.since)
        header["until"] = iso(export.until)
    return header


def plan_for(export: Export, *, batch: int) -> Plan:
    header = _header(export)
    if export.kind == Kind.AUDIT_EVENTS:
        total = AuditEvent.objects.filter(
            client_id=export.client_id, created_at__gte=export.since, created_at__lt=export.until
        ).count()
        return Plan(
            header=header,
            sections=[("events", audit_events(export, batch=batch))],
            total=total,
            columns=AUDIT_COLUMNS,
            csv_section="events",
        )
    customer = export.customer
    if export.kind == Kind.CUSTOMER_HISTORY:
        sections = [("versions", versions(customer, revealed=False))]
        total = history_estimate(customer)
        if export.format == "json":
            sections.append(("tickets", tickets(customer, batch=batch)))
            total += Ticket.objects.filter(customer=customer).count()
        return Plan(
            header=header,
            sections=sections,
            total=total,
            columns=HISTORY_COLUMNS,
            csv_section="versions",
        )
    # The data subject's own copy: personal values in clear, secrets never.
    header["statement"] = statement.statement(client=export.client)
    header["profile"] = profile_now(customer)
    return Plan(
        header=header,
        sections=[
            (
                "history",
                versions(customer, revealed=True, withheld=DSAR_WITHHELD, for_subject=True),
            ),
            ("messages_sent", messages(customer, batch=batch)),
            # The requests the customer made: no staff timeline (internal notes).
            ("requests", tickets(customer, batch=batch, for_subject=True)),
        ],
        total=history_estimate(customer)
        + Message.objects.filter(customer=customer).count()
        + Ticket.objects.filter(customer=customer).count(),
    )


def csv_cells(plan: Plan, item: dict) -> list[list]:
    if plan.csv_section == "versions":
        return history_rows(item)
    return [
        [
            json.dumps(item[c], sort_keys=True, separators=(",", ":"))
            if c == "data"
            else ("" if item[c] is None else item[c])
            for c in plan.columns
        ]
    ]
