"""Revealing one masked value of one past version: an audited read (docs/design.md §7), for
compliance only (the view checks audit.reveal_history), with a typed reason recorded like
a reveal on the profile (issue 11): the newest version is the current value."""

import contextlib
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _
from simple_history.utils import get_history_manager_for_model

from audit.services import audit_record
from profiledesk.customers import models as m
from profiledesk.customers.reveal import RevealRefused, reveal_reason_clean
from profiledesk.privacy.masking import display
from profiledesk.vault.adapters import get_vault

from .history import HIDDEN_FIELDS, MODEL_BY_KEY, SECTION_OF, SKIPPED, customer_column


@dataclass(frozen=True)
class RevealedValue:
    label: str
    value: str


def history_value_reveal(
    *,
    customer,
    staff,
    model_key: str,
    history_id: int,
    field_name: str,
    reason: str,
    request=None,
) -> RevealedValue:
    """The clear value of one masked field of one past version, recorded as the audit
    event "history.value_revealed" (field, section, history id, the typed reason: never
    the value). Secrets and unmasked fields: 404; no reason: `RevealRefused` on the
    reason field. The caller checked audit.reveal_history."""
    model = MODEL_BY_KEY.get(model_key)
    if model is None:
        raise Http404("Nothing to reveal there")
    try:
        field_ = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        raise Http404("Nothing to reveal there") from None
    if not isinstance(field_, models.Field):
        raise Http404("Nothing to reveal there")  # a reverse relation: no value of its own
    policy = getattr(model, "field_policies", {}).get(field_name)
    hidden = field_name in SKIPPED | HIDDEN_FIELDS.get(model, set())
    if policy is None or not policy.revealable or hidden:
        raise Http404("Nothing to reveal there")
    row = (
        get_history_manager_for_model(model)
        .filter(history_id=history_id, **{customer_column(model): customer.pk})
        .values(*{field_.attname, "vault_token" if model is m.BankAccount else field_.attname})
        .first()
    )
    if row is None:
        raise Http404("Nothing to reveal there")
    reason = reveal_reason_clean(reason)
    if not reason:
        raise RevealRefused(
            _("Give the reason for revealing this (it is recorded with your name)."),
            field="reason",
        )
    value = display(row[field_.attname], policy, revealed=True)
    if model is m.BankAccount and field_name == "iban_masked":
        # The history keeps the IBAN masked; the vault holds it under that version's token.
        with contextlib.suppress(ObjectDoesNotExist, LookupError):
            # A token the vault no longer holds: the masked IBAN stays.
            value = get_vault().reveal_iban(row["vault_token"])
    label = str(field_.verbose_name)
    audit_record(
        action="history.value_revealed",
        actor=staff,
        client=customer.client,
        target=customer,
        data={
            "section": SECTION_OF[model],
            "model": model_key,
            "history_id": history_id,
            "field": field_name,
            "label": label,
            "reason": reason,
        },
        request=request,
    )
    return RevealedValue(label=label, value=value)
