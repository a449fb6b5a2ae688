"""A profile value as downstream systems receive it (docs/webhooks.md): JSON types, and a
card or bank account as the vault's token with what identifies it to a person, never
the number. Which fields a system receives at all is its connector's scope
(profiledesk/connectors/scopes.py)."""

import datetime as dt
from typing import Any

from django.db import models

from profiledesk.customers import models as m


def wire_value(row: models.Model, name: str) -> Any:
    """The value of attribute `name` of profile row `row`, for an event."""
    if name == "vault_token" and isinstance(row, m.PaymentCard):
        return {
            "token": row.vault_token,
            "brand": row.brand,
            "last4": row.last4,
            "exp_month": row.exp_month,
            "exp_year": row.exp_year,
        }
    if name == "vault_token" and isinstance(row, m.BankAccount):
        return {"token": row.vault_token, "iban_masked": row.iban_masked, "country": row.country}
    field = row._meta.get_field(name)
    if isinstance(field, models.ForeignKey):
        # A card's billing address: the id of one of the customer's address rows.
        return getattr(row, field.attname)
    value = getattr(row, name)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)
