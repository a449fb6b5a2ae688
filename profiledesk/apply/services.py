"""Applying a change (docs/design.md §6): `ticket_apply` writes a ticket's change items to the
customer's profile, moves the ticket to `applied`, and writes the outbox rows of every
downstream system and every confirmation — all in one database transaction, so that a
failure anywhere leaves profile, ticket and outboxes as they were.

What an item means comes from intake.capture.resolve_field (the single source of truth):

- VALUE items set an attribute of the row `target_id`, or of a new row (every VALUE item
  of one model with no target is that one new row). Making an e-mail, phone or address
  primary demotes the old primary first (one primary per customer, a partial unique
  constraint); making a card or bank account the default demotes the old default. Cards
  and bank accounts arrive as the vault's token JSON, never as a number.
- REMOVE items delete the row (unlinking an account).
- COMMAND items (password reset, two-factor reset, sign out everywhere) are not profile
  writes: they travel to the client's identity system in the event (`commands`) through
  the connectors' outbox. The desk never sets a password; it records only when it asked
  for a password reset, a two-factor reset (the method is then "none") or a sign-out
  everywhere (SecuritySettings.last_password_reset_at / two_factor_reset_at /
  signed_out_everywhere_at), so that the profile shows what the commands did.

Every history row carries the staff member and "<reference> applied" as its reason.
"""

import datetime as dt
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import DatabaseError, IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from profiledesk.accounts.models import User
from profiledesk.approvals.rules import frozen_problem
from profiledesk.approvals.services import approvals_void
from profiledesk.confirmations.services import confirmations_create, ticket_close_if_done
from profiledesk.connectors.services import deliveries_create
from profiledesk.customers import models as m
from profiledesk.files import deleted_on_failure
from profiledesk.intake.avatars import avatar_publish, is_pending_name
from profiledesk.intake.fields import FieldSpec, Kind, resolve_field
from profiledesk.policies.services import risk_refresh
from profiledesk.rollback.models import is_rollback_ticket
from profiledesk.rollback.services import rollback_mark_original
from profiledesk.storage import StorageUnavailable
from profiledesk.tickets.claims import claim_problem
from profiledesk.tickets.models import ChangeItem, State, Ticket
from profiledesk.tickets.states import TransitionError, transition
from profiledesk.vault.cards import redact_card_numbers
from verification.models import Attempt, Purpose, Result

from .rules import APPLICABLE, applier_problem, apply_problem, risk_problem
from .wire import wire_value

EVENT_TYPE = "profile.changed"

# The vault's token JSON (intake.capture._card / _bank) → the row's attributes.
_TOKEN_KEYS: dict[type[models.Model], dict[str, str]] = {
    m.PaymentCard: {
        "token": "vault_token",
        "fingerprint": "fingerprint",
        "brand": "brand",
        "bin": "bin",
        "last4": "last4",
    },
    m.BankAccount: {
        "token": "vault_token",
        "fingerprint": "fingerprint",
        "iban_masked": "iban_masked",
        "country": "country",
    },
}
# The flag of which a customer has at most one row set.
_ONE_OF = {
    m.EmailAddress: "is_primary",
    m.PhoneNumber: "is_primary",
    m.PostalAddress: "is_primary",
    m.PaymentCard: "is_default",
    m.BankAccount: "is_default",
}
# Contact points proven by a code of their own during verification (dual confirmation).
_PROVEN_BY_CODE = {"emailaddress.email", "phonenumber.number"}


class ApplyError(Exception):
    """A ticket that cannot be applied now; the message is safe to show."""


def ticket_apply(*, ticket: Ticket, by: User | None, history_reason: str = "") -> Ticket:
    """Apply `ticket` (ready with no approval needed, or approved) as staff member `by`;
    raise ApplyError (or tickets.states.TransitionError) saying why not. `by` None is the
    desk itself (the customer portal's self-service), with `history_reason` on the
    profile's history rows instead of "<reference> applied"."""
    try:
        # An applied avatar is copied out of pending inside the transaction: if the
        # transaction fails, the copy is deleted (the pending file stays for a retry).
        with deleted_on_failure() as written, transaction.atomic():
            locked = (
                Ticket.objects.select_for_update(of=("self",))
                .select_related("client", "customer")
                .get(pk=ticket.pk)
            )
            # Only the one working it applies it (checked again by transition()).
            problem = claim_problem(locked, by) or applier_problem(locked, by)
            if problem:
                raise TransitionError(problem)
            # The customer's other tickets may have moved since this one was scored (the
            # takeover sequence): the risk is re-assessed here, under the lock.
            risk_refresh(ticket=locked)
            problem = apply_problem(locked)
            if problem:
                raise ApplyError(problem)
            items = list(ChangeItem.objects.filter(ticket_id=locked.pk).order_by("position", "id"))
            if not items:
                raise ApplyError(_("The request has no change in it."))
            now = timezone.now()
            # An avatar approved at its tier is moderated (the avatar policy's tier 1 is
            # the moderation, docs/design.md §5); one applied without approval is not.
            moderated = locked.state == State.APPROVED
            effects: dict[int, Effect] = {}
            commands = _profile_write(
                ticket=locked,
                items=items,
                by=by,
                reason=history_reason or f"{locked.reference} applied",
                now=now,
                moderated=moderated,
                written=written,
                effects=effects,
            )
            transition(ticket=locked, to=State.APPLIED, by=by, service=True)
            # A rollback ticket: the ticket it rolls back becomes rolled_back with it.
            rollback_mark_original(ticket=locked, by=by)
            event = _event(ticket=locked, items=items, commands=commands, effects=effects, now=now)
            deliveries = _deliveries_create(ticket=locked, event=event)
            confirmations = _confirmations_create(ticket=locked)
            audit_record(
                action="ticket.applied",
                actor=by,
                client=locked.client,
                target=locked,
                data={
                    "reference": locked.reference,
                    "event": event["id"],
                    "items": len(items),
                    "commands": commands,
                    "deliveries": len(deliveries),
                    "confirmations": len(confirmations),
                },
            )
            # With no confirmation to send and no system to tell, nothing else would close it.
            _close_if_done(ticket=locked)
    except ApplyError:
        _after_refusal(ticket=ticket, by=by)
        raise
    except (IntegrityError, DatabaseError, ValidationError, ValueError) as error:
        # Nothing was written (the transaction rolled back); the message names no value.
        raise ApplyError(
            _("The profile refused this change (%(kind)s); nothing was applied.")
            % {"kind": type(error).__name__}
        ) from error
    ticket.state, ticket.updated_at = locked.state, locked.updated_at
    return locked


def _after_refusal(*, ticket: Ticket, by: User | None) -> None:
    """The refusal rolled the re-assessed score back: keep it on the ticket; an approval
    given at a lower risk no longer holds (the ticket goes back to ready, to be submitted
    again: at critical, to security)."""
    ticket.refresh_from_db(fields=["state"])
    if ticket.state not in APPLICABLE:
        return  # e.g. applied by a second press meanwhile: its score stays as applied
    risk_refresh(ticket=ticket)
    if ticket.state == State.APPROVED and not frozen_problem(ticket) and risk_problem(ticket):
        approvals_void(ticket=ticket, reason=_("the risk rose after it was approved"), by=by)


# --- the profile ----------------------------------------------------------------------


def _spec(item: ChangeItem) -> FieldSpec:
    try:
        return resolve_field(item.section, item.field)
    except LookupError:
        raise ApplyError(
            _("“%(label)s” is not a field the desk can change; nothing was applied.")
            % {"label": item.label or item.field}
        ) from None


@dataclass(frozen=True)
class Effect:
    """What one item did to the profile, for the event: the row, and the attribute's
    value before and after as downstream systems receive it (apply/wire.py)."""

    row: int | None
    old: Any = None
    new: Any = None


def _profile_write(
    *,
    ticket: Ticket,
    items: list[ChangeItem],
    by: User | None,
    reason: str,
    now: dt.datetime,
    effects: dict[int, Effect],
    moderated: bool = False,
    written: list[str] | None = None,
) -> list[str]:
    """Write the items to the customer's profile; return the commands for the identity
    system, in order. `effects` gets what each item did, by item id."""
    customer = ticket.customer
    assert customer is not None  # apply_problem refused a ticket with no customer
    rows: dict[tuple[type[m.Section], int | None], list[tuple[FieldSpec, ChangeItem]]]
    rows = defaultdict(list)
    commands: list[str] = []
    for item in items:
        spec = _spec(item)
        if spec.kind == Kind.COMMAND:
            commands.append(spec.name)
        elif spec.kind == Kind.REMOVE:
            row = _row(m.as_section(spec.model), customer, item.target_id)
            effects[item.pk] = Effect(row=row.pk)
            _stamp(row, by, reason)
            row.delete()
        else:
            rows[(m.as_section(spec.model), item.target_id)].append((spec, item))
    proven = _proven_contacts(ticket, items)
    restoring = is_rollback_ticket(ticket)
    for (model, target_id), changes in rows.items():
        _row_write(
            model=model,
            customer=customer,
            target_id=target_id,
            changes=changes,
            proven=proven,
            restoring=restoring,
            by=by,
            reason=reason,
            now=now,
            moderated=moderated,
            written=written if written is not None else [],
            effects=effects,
        )
    _commands_record(customer=customer, commands=commands, by=by, reason=reason, now=now)
    return commands


def _commands_record(
    *, customer: m.Customer, commands: list[str], by: User | None, reason: str, now: dt.datetime
) -> None:
    """What the profile knows once the identity system is asked to act, so that it never
    shows the state before the command (every command of intake.capture's security form):
    a password reset and a sign-out everywhere are dated; a two-factor reset leaves the
    customer with no second factor until they enrol again."""
    if not commands:
        return
    security = m.SecuritySettings.objects.select_for_update().filter(customer=customer).first()
    security = security or m.SecuritySettings(customer=customer)
    if "password_reset" in commands:
        security.last_password_reset_at = now
    if "two_factor_reset" in commands:
        security.two_factor_method = m.SecuritySettings.Method.NONE
        security.two_factor_reset_at = now
    if "sign_out_everywhere" in commands:
        security.signed_out_everywhere_at = now
    _stamp(security, by, reason)
    security.save()


def _stamp(row: m.Section, by: User | None, reason: str) -> None:
    row._history_user = by
    row._change_reason = reason


def _row(model: type[m.Section], customer: m.Customer, target_id: int | None) -> m.Section:
    """The customer's row `target_id` (never another customer's), locked."""
    try:
        row: m.Section = model.objects.select_for_update().get(pk=target_id, customer=customer)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise ApplyError(
            _("A %(what)s this change refers to is no longer on the profile.")
            % {"what": model._meta.verbose_name}
        ) from None
    return row


# Every concrete section has a `customer` (a foreign key, or one-to-one for a one-row
# section); the abstract Section declares none, so django-stubs knows of no such field.
def _one_to_one(model: type[m.Section]) -> bool:
    customer_field = model._meta.get_field("customer")  # type: ignore[misc]  # see above
    return isinstance(customer_field, models.OneToOneField)


def _new_row(model: type[m.Section], customer: m.Customer) -> m.Section:
    return model(customer=customer)  # type: ignore[misc]  # see above


def _row_write(
    *,
    model: type[m.Section],
    customer: m.Customer,
    target_id: int | None,
    changes: list[tuple[FieldSpec, ChangeItem]],
    proven: set[tuple[int, str]],
    restoring: bool,
    by: User | None,
    reason: str,
    now: dt.datetime,
    moderated: bool = False,
    written: list[str],
    effects: dict[int, Effect],
) -> None:
    row: m.Section
    if target_id is not None:
        row = _row(model, customer, target_id)
    elif _one_to_one(model):
        # A one-row section the customer had none of when the change was captured.
        existing = model.objects.select_for_update().filter(customer=customer).first()
        row = existing or _new_row(model, customer)
    else:
        row = _new_row(model, customer)
    before = {item.pk: wire_value(row, spec.name) if row.pk else None for spec, item in changes}
    for spec, item in changes:
        _value_set(row, spec, item, customer)
        if spec.key in _PROVEN_BY_CODE:
            assert isinstance(row, m.ContactPoint)  # an e-mail address or phone number
            # A new e-mail or phone is verified when this ticket proved it with a code;
            # one a rollback gives back is as verified as it was when the row held it.
            if (item.pk, item.new_value) in proven:
                row.verified_at = now
            elif restoring and row.pk is not None:
                row.verified_at = _verified_before(row, spec.name, item.new_value)
            else:
                row.verified_at = None
    # (`row` is a `model`: the type tells mypy which section it is.)
    if isinstance(row, m.SecurityQuestion) and any(s.name == "answer_hash" for s, _i in changes):
        row.set_at = now
    if isinstance(row, m.Avatar):
        _avatar_publish(row, moderated=moderated, written=written)
        row.uploaded_at = now
    flag = _ONE_OF.get(model)
    if flag and getattr(row, flag):
        _demote(model, customer, flag, keep=row.pk, by=by, reason=reason)
    _stamp(row, by, reason)
    row.save()
    for spec, item in changes:
        effects[item.pk] = Effect(row=row.pk, old=before[item.pk], new=wire_value(row, spec.name))


def _avatar_publish(row: m.Avatar, *, moderated: bool, written: list[str]) -> None:
    """The avatar leaves `avatars/pending/` for the profile's folder; approved when the
    ticket was approved (moderation done), pending otherwise. A name that is not a pending
    avatar (a rollback restoring an earlier published image) is kept as it is."""
    Moderation = m.Avatar.Moderation
    name = row.image.name
    if name and is_pending_name(name):
        try:
            row.image.name = avatar_publish(pending=name, written=written)
        except FileNotFoundError:
            raise ApplyError(
                _("The image of this change is no longer kept: capture it again.")
            ) from None
        except StorageUnavailable:
            raise ApplyError(
                _("The file store cannot be reached just now: apply again in a minute.")
            ) from None
    row.moderation_status = Moderation.APPROVED if moderated else Moderation.PENDING


def _demote(
    model: type[m.Section],
    customer: m.Customer,
    flag: str,
    *,
    keep: int | None,
    by: User | None,
    reason: str,
) -> None:
    """Unset `flag` on the customer's other rows first: one primary (default) at a time."""
    for other in model.objects.select_for_update().filter(customer=customer, **{flag: True}):
        if other.pk == keep:
            continue
        setattr(other, flag, False)
        _stamp(other, by, reason)
        other.save(update_fields=[flag])


def _value_set(row: m.Section, spec: FieldSpec, item: ChangeItem, customer: m.Customer) -> None:
    text = item.new_value
    if spec.name == "vault_token" and type(row) in _TOKEN_KEYS:
        keys = _TOKEN_KEYS[type(row)]
        token = _token(text, keys=set(keys))
        for key, attribute in keys.items():
            setattr(row, attribute, token[key])
        return
    field = row._meta.get_field(spec.name)
    assert isinstance(field, models.Field)  # a column of the row, never a reverse relation
    if isinstance(field, models.BooleanField):
        if text not in ("true", "false"):
            raise ValidationError("not a boolean")
        setattr(row, spec.name, text == "true")
    elif isinstance(field, models.ForeignKey):
        # The only one a request sets: a card's billing address, one of the customer's.
        target = _row(m.as_section(field.related_model), customer, int(text)) if text else None
        setattr(row, spec.name, target)
    elif text == "" and field.null:
        setattr(row, spec.name, None)
    else:
        setattr(row, spec.name, field.to_python(text))


def _token(text: str, *, keys: set[str]) -> dict[str, str]:
    """The vault's token JSON; refused if a key is missing or anything in it looks like
    a card number."""
    value = json.loads(text)
    if not isinstance(value, dict) or not keys <= set(value) or redact_card_numbers(text) != text:
        raise ValidationError("not a vault token")
    return value


def _verified_before(row: m.ContactPoint, name: str, value: str) -> dt.datetime | None:
    """When the row last held `value` verified (its history), or None."""
    verified_at: dt.datetime | None = (
        row.history.filter(**{name: value}, verified_at__isnull=False)
        .order_by("-history_id")
        .values_list("verified_at", flat=True)
        .first()
    )
    return verified_at


def _proven_contacts(ticket: Ticket, items: list[ChangeItem]) -> set[tuple[int, str]]:
    """(item id, value) of the new e-mails and phones this ticket proved with a code."""
    if not any(item.field in _PROVEN_BY_CODE for item in items):
        return set()

    return set(
        Attempt.objects.filter(
            ticket_id=ticket.pk, purpose=Purpose.NEW_CONTACT, result=Result.PASSED
        ).values_list("challenge__change_item_id", "challenge__new_value")
    )


# --- what downstream systems and the customer are told ------------------------------


def _event(
    *,
    ticket: Ticket,
    items: list[ChangeItem],
    commands: list[str],
    effects: dict[int, Effect],
    now: dt.datetime,
) -> dict[str, Any]:
    """The "profile.changed" event, with every changed value in clear (cards and bank
    accounts as vault tokens): each connector receives only the changes of its scope
    (connectors.services.deliveries_create)."""
    assert ticket.customer is not None  # apply_problem refused a ticket with no customer
    return {
        "id": str(uuid.uuid4()),
        "type": EVENT_TYPE,
        "client": ticket.client.slug,
        "customer": ticket.customer.number,
        "ticket": ticket.reference,
        "category": ticket.category,
        "changes": [
            {
                "section": item.section,
                "field": item.field,
                "label": item.label,
                "kind": str(resolve_field(item.section, item.field).kind),
                "row": effects[item.pk].row if item.pk in effects else None,
                "old": effects[item.pk].old if item.pk in effects else None,
                "new": effects[item.pk].new if item.pk in effects else None,
            }
            for item in items
        ],
        # For the identity system: what the desk asks it to do (it never sets a password).
        "commands": commands,
        "applied_at": now.isoformat(),
    }


def _deliveries_create(*, ticket: Ticket, event: dict[str, Any]) -> list[Any]:
    """One outbox row per connector of the client that receives the category
    (profiledesk/connectors), written in this transaction, sent by Celery on commit."""
    return list(deliveries_create(ticket=ticket, event=event))


def _confirmations_create(*, ticket: Ticket) -> list[Any]:
    """The customer's confirmation messages (profiledesk/confirmations), queued through
    the messaging outbox in this transaction."""
    return list(confirmations_create(ticket=ticket))


def _close_if_done(*, ticket: Ticket) -> None:
    """Close the ticket now if there is nothing to wait for; otherwise the send tasks
    close it when the last confirmation or delivery is done (profiledesk/confirmations)."""
    ticket_close_if_done(ticket=ticket)
