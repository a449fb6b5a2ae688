"""Revealing a masked value: a deliberate, audited action (DESIGN 2, 7)."""

from dataclasses import dataclass

from django.db import models
from django.http import Http404

from audit.services import audit_record
from profiledesk.privacy.masking import display
from profiledesk.vault.adapters import get_vault

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


def customer_field_reveal(
    *, customer: Customer, staff, kind: str, row_id: int, field: str, request=None
) -> Revealed:
    """The clear value of one masked field of one of the customer's rows, recorded."""
    model = REVEALABLE.get(kind)
    policy = getattr(model, "field_policies", {}).get(field)
    if model is None or policy is None or not policy.revealable:
        raise Http404("Nothing to reveal there")
    row = model.objects.filter(customer=customer, pk=row_id).first()
    if row is None:
        raise Http404("Nothing to reveal there")
    if model is BankAccount and field == "iban_masked":
        value = get_vault().reveal_iban(row.vault_token)
    else:
        value = display(getattr(row, field), policy, revealed=True)
    label = str(model._meta.get_field(field).verbose_name)
    audit_record(
        action="customer.sensitive_revealed",
        actor=staff,
        client=customer.client,
        target=customer,
        data={"section": kind, "row_id": row.pk, "field": field, "label": label},
        request=request,
    )
    return Revealed(label=label, value=value)
