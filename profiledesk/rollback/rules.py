"""What a rollback restores (docs/design.md §7): the reverse diff of an applied ticket or of one
past version of a profile row, as `intake.capture` ItemDrafts that `apply` writes like
any other change.

The earlier values come from django-simple-history, never from `ChangeItem.old_display`
(which is masked): for a ticket, the history rows whose reason is "<reference> applied"
and, for each row, the version just before the ticket's first write; for a past version,
that historical row against the row now. Items are built by intake's own `_Drafts`, so
old and new displays are masked exactly as a captured change's are, and nothing already
equal to the value to restore becomes an item.

- a changed value: the earlier value, on the same row (`target_id`);
- a card or bank account: the earlier vault token JSON (token, fingerprint, brand, BIN,
  last four / masked IBAN, country), the shape `apply` reads: never a number;
- a one-row section the ticket filled in first (preferences): its fields' defaults;
- a row the ticket created: `intake` has no way to remove an e-mail, phone, address,
  card, bank account or security question, so it stays (said in a note); a primary or
  default it took over goes back to the earlier row, which `apply` then re-promotes;
- a row removed (an unlinked account): linking is the customer's own sign-in flow
  (docs/design.md §2), so it cannot be restored (a note); a past version of a row that is gone
  is recreated as a new row where intake can express every field;
- a past version in which a row now primary (default) was not: it stays so (a note), as
  unsetting it would leave the customer none;
- commands (password reset, 2FA reset, sign-out) cannot be undone (a note).

Fields written again after the ticket are still restored to the earlier values, and
listed (`changed_since`) so that the staff member sees what else the rollback undoes.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from profiledesk.customers import models as m
from profiledesk.intake.capture import (
    _address_display,
    _Drafts,
    _text,
)
from profiledesk.intake.fields import CATEGORY_FIELDS, FieldSpec, Kind, resolve_field
from profiledesk.privacy.masking import display
from profiledesk.privacy.sensitivity import SECRET
from profiledesk.tickets.models import OPEN_STATES, State, Ticket
from profiledesk.tickets.services import ItemDraft

# A row of a section's simple-history table (a version of a profile row): simple-history
# ships no types, so nothing more precise can be said of it.
HistoricalRow = Any

PERMISSION = "rollback.request_rollback"
ROLLABLE_STATES = (State.APPLIED, State.CLOSED)

# Every profile model a request can touch, with the category whose specs it belongs to
# (one per model); by model name ("paymentcard"), the key the history pages use too.
CATEGORY_OF: dict[type[m.Section], str] = {}
for _category, _specs in CATEGORY_FIELDS.items():
    for _s in _specs:
        CATEGORY_OF.setdefault(m.as_section(_s.model), _category)
MODELS_BY_KEY = {model._meta.model_name: model for model in CATEGORY_OF}
# The models of which a past version can be restored: those with values a request sets
# (not the customer row, the security settings' commands or an unlinked account).
RESTORABLE_KEYS = frozenset(
    key
    for key, model in MODELS_BY_KEY.items()
    if any(s.model is model and s.kind == Kind.VALUE for s in CATEGORY_FIELDS[CATEGORY_OF[model]])
)
# The flag of which a customer has one row set (apply demotes the others when it is set).
ONE_OF = {
    m.EmailAddress: "is_primary",
    m.PhoneNumber: "is_primary",
    m.PostalAddress: "is_primary",
    m.PaymentCard: "is_default",
    m.BankAccount: "is_default",
}


@dataclass
class ReverseDiff:
    category: str
    items: list[ItemDraft] = field(default_factory=list)
    # What cannot be restored, and why (shown on the confirm page and the new ticket).
    notes: list[str] = field(default_factory=list)
    # Labels of fields written again after the ticket: the rollback undoes those too.
    changed_since: list[str] = field(default_factory=list)
    problem: str | None = None


# --- which tickets can be rolled back -------------------------------------------------


def ticket_problem(ticket: Ticket) -> str | None:
    """Why `ticket` cannot be rolled back (before looking at its values), or None."""
    if ticket.state not in ROLLABLE_STATES:
        return _(
            "Only an applied or closed ticket can be rolled back; this one is “%(state)s”."
        ) % {"state": ticket.get_state_display()}
    if ticket.customer_id is None:
        return _("This ticket changed no customer's profile.")
    pending = (
        Ticket.objects.filter(rollback_of_id=ticket.pk, state__in=OPEN_STATES)
        .values_list("reference", flat=True)
        .first()
    )
    if pending:
        return _("%(reference)s already rolls this ticket back; finish or cancel it first.") % {
            "reference": pending
        }
    return None


# --- values -----------------------------------------------------------------------------


def _value_specs(category: str, model: type[m.Section]) -> list[FieldSpec]:
    return [
        spec
        for spec in CATEGORY_FIELDS[category]
        if spec.model is model and spec.kind == Kind.VALUE
    ]


def _raw(obj: m.Section | HistoricalRow, spec: FieldSpec) -> Any:
    """The stored value (a foreign key's id, a file's name) of a row or historical row."""
    column = spec.model._meta.get_field(spec.name)
    assert isinstance(column, models.Field)  # a value spec names a column, not a relation
    value = getattr(obj, column.attname)
    return value.name if isinstance(value, models.fields.files.FieldFile) else value


def _same(a: m.Section | HistoricalRow, b: m.Section | HistoricalRow, spec: FieldSpec) -> bool:
    return _text(_raw(a, spec)) == _text(_raw(b, spec))


def _what(model: type[m.Section]) -> str:
    return str(model._meta.verbose_name)


def _restore(
    drafts: _Drafts,
    *,
    model: type[m.Section],
    earlier: HistoricalRow,  # or a blank row of `model` (_blank_row): the same attributes
    row: m.Section | None,
    addresses: dict[int, m.PostalAddress],
    notes: list[str],
    only: set[str] | None = None,
) -> None:
    """Items setting `row` (None: a new row) back to the historical row `earlier`; only
    the fields named in `only` when given."""
    for spec in _value_specs(drafts.category, model):
        if only is not None and spec.name not in only:
            continue
        if row is not None and _same(earlier, row, spec):
            continue
        value = _raw(earlier, spec)
        if row is None and (value in (None, "") or value is False):
            continue  # a new row starts blank / not primary anyway
        if spec.name == "vault_token" and model is m.PaymentCard:
            drafts.card(
                row=row,
                token=earlier.vault_token,
                fingerprint=earlier.fingerprint,
                brand=earlier.brand,
                bin=earlier.bin,
                last4=earlier.last4,
            )
        elif spec.name == "vault_token" and model is m.BankAccount:
            drafts.bank_account(
                row=row,
                token=earlier.vault_token,
                fingerprint=earlier.fingerprint,
                iban_masked=earlier.iban_masked,
                country=earlier.country,
            )
        elif spec.name == "answer_hash":
            drafts.value(
                model,
                "answer_hash",
                None,
                row=row,
                new_value=earlier.answer_hash,
                old_display=display("set", SECRET) if row is not None else "",
                new_display=display("set", SECRET),
                is_secret=True,
                always=True,
            )
        elif spec.name == "billing_address":
            address = addresses.get(value) if value else None
            if value and address is None:
                notes.append(_("The card's earlier billing address is no longer on the profile."))
                continue
            drafts.value(
                model,
                "billing_address",
                None,
                row=row,
                new_value=_text(value),
                new_display=_address_display(address),
                # (Only a card has a billing address.)
                old_display=(
                    _address_display(row.billing_address) if isinstance(row, m.PaymentCard) else ""
                ),
                always=True,
            )
        elif spec.name == "image":
            drafts.value(
                model,
                "image",
                None,
                row=row,
                new_value=value or "",
                new_display=_("Earlier image") if value else "",
                old_display=_("Current image") if isinstance(row, m.Avatar) and row.image else "",
                always=True,
            )
        else:
            drafts.value(model, spec.name, value, row=row, always=True)


# Every concrete section has a `customer` (a foreign key, or one-to-one for a one-row
# section); the abstract Section declares none, so django-stubs knows of no such field.
def _one_to_one(model: type[m.Section]) -> bool:
    customer_field = model._meta.get_field("customer")  # type: ignore[misc]  # see above
    return isinstance(customer_field, models.OneToOneField)


def _blank_row(model: type[m.Section], customer_id: int) -> m.Section:
    """A row of `model` with its fields' defaults (not saved)."""
    return model(customer_id=customer_id)  # type: ignore[misc]  # see _one_to_one


def _addresses(customer_id: int, model: type[m.Section]) -> dict[int, m.PostalAddress]:
    """The customer's addresses by id, for a card's billing address (one query, cards only)."""
    if model is not m.PaymentCard:
        return {}
    return {a.pk: a for a in m.PostalAddress.objects.filter(customer_id=customer_id)}


def _current_rows(model: type[m.Section], ids: list[int]) -> dict[int, m.Section]:
    rows = model.objects.filter(pk__in=ids)
    if model is m.PaymentCard:
        rows = rows.select_related("billing_address")
    return {row.pk: row for row in rows}


# --- from a ticket ----------------------------------------------------------------------


def reverse_of_ticket(ticket: Ticket) -> ReverseDiff:
    """The reverse diff of an applied ticket (three queries a model of its category)."""
    diff = ReverseDiff(category=ticket.category)
    drafts = _Drafts(ticket.category)
    reason = f"{ticket.reference} applied"
    items = list(ticket.items.all())
    commands: list[str] = []
    for item in items:
        try:
            spec = resolve_field(item.section, item.field)
        except LookupError:
            continue
        if spec.kind == Kind.COMMAND:
            commands.append(item.label)
    for label in commands:
        diff.notes.append(
            _("“%(label)s” cannot be undone: it was a command to the client's identity system.")
            % {"label": label}
        )
    models_here = list(
        dict.fromkeys(m.as_section(spec.model) for spec in CATEGORY_FIELDS[ticket.category])
    )
    for model in models_here:
        if model is not m.LinkedAccount and not _value_specs(ticket.category, model):
            continue  # security settings: only commands, said above
        _reverse_model(diff, drafts, model=model, ticket=ticket, reason=reason)
    diff.items = drafts.items
    if not diff.items:
        if commands and len(commands) == len(items):
            diff.problem = _(
                "This ticket only sent commands (a password reset, a two-factor reset or a "
                "sign-out): they cannot be undone, so there is nothing to roll back."
            )
        elif diff.notes:
            diff.problem = _("Nothing here can be restored: %(why)s") % {
                "why": " ".join(diff.notes)
            }
        else:
            diff.problem = _(
                "Nothing to restore: the profile already holds the values it had before "
                "this ticket."
            )
    return diff


def _reverse_model(
    diff: ReverseDiff, drafts: _Drafts, *, model: type[m.Section], ticket: Ticket, reason: str
) -> None:
    history = model.history.model
    before = history.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
    records = list(
        history.objects.filter(customer_id=ticket.customer_id, history_change_reason=reason)
        .annotate(before_id=Subquery(before.order_by("-history_id").values("history_id")[:1]))
        .order_by("history_id")
    )
    if not records:
        return
    customer_id = ticket.customer_id
    assert customer_id is not None  # ticket_problem refused a ticket with no customer
    first: dict[int, HistoricalRow] = {}
    last: dict[int, HistoricalRow] = {}
    for record in records:
        first.setdefault(record.id, record)
        last[record.id] = record
    befores = {
        r.history_id: r
        for r in history.objects.filter(
            history_id__in=[r.before_id for r in first.values() if r.before_id]
        )
    }
    current = _current_rows(model, list(first))
    addresses = _addresses(customer_id, model)
    what = _what(model)
    for row_id, opening in first.items():
        earlier = befores.get(opening.before_id)
        closing = last[row_id]
        row = current.get(row_id)
        if model is m.LinkedAccount:
            diff.notes.append(
                _(
                    "An unlinked account cannot be linked again by the desk: linking is the "
                    "customer's own sign-in flow."
                )
            )
            continue
        if (
            (opening.history_type == "+" or earlier is None)
            and _one_to_one(model)
            and row is not None
        ):
            # A one-row section the ticket filled in first: before it, the customer had
            # the section's defaults (what capture compares a first change with).
            earlier = _blank_row(model, customer_id)
        elif opening.history_type == "+" or earlier is None:
            diff.notes.append(
                _(
                    "The %(what)s this ticket added stays on the profile: the desk has no way "
                    "to remove one."
                )
                % {"what": what}
            )
            continue
        if row is None:
            diff.notes.append(
                _("A %(what)s this ticket changed is no longer on the profile.") % {"what": what}
            )
            continue
        # Only what the ticket changed goes back, even if it was changed again since.
        touched = [
            spec
            for spec in _value_specs(drafts.category, model)
            if not _same(earlier, closing, spec)
        ]
        # Written again since and not back at the earlier value: the rollback undoes that too.
        diff.changed_since.extend(
            spec.label
            for spec in touched
            if not _same(closing, row, spec) and not _same(earlier, row, spec)
        )
        _restore(
            drafts,
            model=model,
            earlier=earlier,
            row=row,
            addresses=addresses,
            notes=diff.notes,
            only={spec.name for spec in touched},
        )


# --- from a past version --------------------------------------------------------------


def version_model(key: str) -> type[m.Section] | None:
    return MODELS_BY_KEY.get((key or "").lower())


def version_record(key: str, history_id: int) -> HistoricalRow | None:
    """The historical row `history_id` of the profile model `key` ("paymentcard"), or None."""
    model = version_model(key)
    if model is None:
        return None
    return model.history.filter(history_id=history_id).first()


def reverse_of_version(record: HistoricalRow) -> ReverseDiff:
    """What restoring the historical row `record` takes: its values against the row now
    (a row that is gone is recreated where intake can express it)."""
    model: type[m.Section] = record.instance_type
    diff = ReverseDiff(category=CATEGORY_OF[model])
    drafts = _Drafts(diff.category)
    if _one_to_one(model):
        # (`customer_id`: every concrete section has one; see _one_to_one.)
        row = model.objects.filter(customer_id=record.customer_id).first()  # type: ignore[misc]
    else:
        row = _current_rows(model, [record.id]).get(record.id)
    if row is None and model is m.LinkedAccount:
        diff.problem = _(
            "An unlinked account cannot be linked again by the desk: linking is the "
            "customer's own sign-in flow."
        )
        return diff
    only: set[str] | None = None
    flag = ONE_OF.get(model)
    if flag and row is not None and getattr(row, flag) and not getattr(record, flag):
        # Unsetting the one primary (default) would leave the customer none: another row
        # becomes it only by being made so, which demotes this one.
        only = {spec.name for spec in _value_specs(diff.category, model)} - {flag}
        diff.notes.append(
            _(
                "The %(what)s stays the primary (default) one: a customer keeps one; make "
                "another one primary (default) to change that."
            )
            % {"what": _what(model)}
        )
    _restore(
        drafts,
        model=model,
        earlier=record,
        row=row,
        addresses=_addresses(record.customer_id, model),
        notes=diff.notes,
        only=only,
    )
    diff.items = drafts.items
    if not diff.items:
        diff.problem = (
            diff.notes[0]
            if diff.notes
            else _("Nothing to restore: the profile already holds the values of this version.")
        )
    return diff


def version_reference(record: HistoricalRow) -> str:
    """The ticket that wrote this version ("PD-000123"), if its reason names one."""
    reason: str = record.history_change_reason or ""
    return reason.removesuffix(" applied") if reason.endswith(" applied") else ""
