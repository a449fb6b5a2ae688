"""Revealing a masked value: a deliberate, audited action (docs/design.md §2, §7).

Masked until verified, for everyone on the floor (issue 11): who may reveal now is
decided by the reveal gate (`RevealAccess`), which the verification app registers at
start-up (`reveal_gate_register`; this layer sits below tickets and verification and does
not import them). Without a gate nobody may reveal. The gate answers: allowed (the staff
member holds a ticket of the customer whose verification is complete and valid), allowed
with a typed reason (supervisors, compliance, security), or refused with why.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _

from audit.services import audit_record
from profiledesk.privacy.masking import display
from profiledesk.vault.adapters import get_vault
from profiledesk.vault.cards import redact_card_numbers

from .models import (
    BankAccount,
    Customer,
    EmailAddress,
    LinkedAccount,
    PersonalDetails,
    PhoneNumber,
    PostalAddress,
)

# The rows whose masked fields a staff member may reveal, by the key used in URLs.
REVEALABLE: dict[str, type[models.Model]] = {
    "personal": PersonalDetails,
    "email": EmailAddress,
    "phone": PhoneNumber,
    "address": PostalAddress,
    "bank": BankAccount,
    "linked": LinkedAccount,
}
REVEAL_KEYS = {model: key for key, model in REVEALABLE.items()}


@dataclass(frozen=True)
class Revealed:
    label: str
    value: str


@dataclass(frozen=True)
class RevealAccess:
    allowed: bool
    reason_needed: bool = False
    basis: str = ""  # recorded: the verified ticket's reference, or "reason"
    refusal: str = ""  # why not, to show


class RevealRefused(Exception):
    """Nothing revealed; the message is safe to show. `field` names the form field at
    fault ("reason"), or is empty for a refusal."""

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.field = field


RevealGate = Callable[..., RevealAccess]
_gates: list[RevealGate] = []
REASON_MAX = 500


def reveal_reason_clean(reason: str) -> str:
    """One line of printable text (no NUL: PostgreSQL's JSON refuses it), card-like
    numbers redacted, at most REASON_MAX characters."""
    printable = "".join(ch for ch in reason or "" if ch.isprintable() or ch.isspace())
    return redact_card_numbers(" ".join(printable.split()))[:REASON_MAX].strip()


def reveal_gate_register(gate: RevealGate) -> None:
    """Called once by the app that decides (verification/reveal.py, in its ready())."""
    if gate not in _gates:
        _gates.append(gate)


def reveal_access(*, customer: Customer, staff) -> RevealAccess:
    if not _gates:
        return RevealAccess(False, refusal=_("Revealing is not available on this desk."))
    return _gates[-1](customer=customer, staff=staff)


def customer_field_reveal(
    *,
    customer: Customer,
    staff,
    kind: str,
    row_id: int,
    field: str,
    reason: str = "",
    request=None,
) -> Revealed:
    """The clear value of one masked field of one of the customer's rows, recorded with
    the basis of the reveal (the verified ticket, or the typed reason)."""
    model = REVEALABLE.get(kind)
    policy = getattr(model, "field_policies", {}).get(field)
    if model is None or policy is None or not policy.revealable:
        raise Http404("Nothing to reveal there")
    row = model._default_manager.filter(customer=customer, pk=row_id).first()
    if row is None:
        raise Http404("Nothing to reveal there")
    column = model._meta.get_field(field)
    assert isinstance(column, models.Field)  # a field with a policy is a column
    label = str(column.verbose_name)
    where = {"section": kind, "row_id": row.pk, "field": field, "label": label}
    access = reveal_access(customer=customer, staff=staff)
    if not access.allowed:
        audit_record(
            action="customer.reveal_refused",
            actor=staff,
            client=customer.client,
            target=customer,
            data=where,
            request=request,
        )
        raise RevealRefused(access.refusal)
    reason = reveal_reason_clean(reason)
    if access.reason_needed and not reason:
        raise RevealRefused(
            _("Give the reason for revealing this (it is recorded with your name)."),
            field="reason",
        )
    if isinstance(row, BankAccount) and field == "iban_masked":
        value = get_vault().reveal_iban(row.vault_token)
    else:
        value = display(getattr(row, field), policy, revealed=True)
    basis = {"basis": access.basis or "reason"}
    if reason:
        basis["reason"] = reason
    audit_record(
        action="customer.sensitive_revealed",
        actor=staff,
        client=customer.client,
        target=customer,
        data={**where, **basis},
        request=request,
    )
    return Revealed(label=label, value=value)
