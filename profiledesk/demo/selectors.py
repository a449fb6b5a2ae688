"""Reading the demo receiver's store for the desk's demo page: one delivery as the
client's system saw it (every attempt, its signature, the values it carried) and what
that system holds of the delivery's customer now.

What is shown in clear, and why: this page is the client's own system, whose users see
in clear what it received; it exists only in demo mode (synthetic customers), only for
staff of the delivery's client, only for the delivery's own customer, and each view is
audited. The desk's rules still hold where the receiving system's clear copy would add
nothing to the demo: a vault token (secret: the key to the card at the payment provider)
is never shown, and a sensitive-class value (date of birth, national ID, IBAN) stays
masked as everywhere on the desk.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from profiledesk.connectors.models import Delivery
from profiledesk.intake.fields import FIELD_SPECS, Kind
from profiledesk.privacy.masking import DOT, display
from profiledesk.privacy.sensitivity import Sensitivity

from .connectors import receiver_path, receiver_store
from .receiver import record_of, requests_for

_SPECS = {spec.key: spec for spec in FIELD_SPECS.values() if spec.kind == Kind.VALUE}
HIDDEN = DOT * 6


def shown(field: str, value: Any) -> str:
    """A value as this page shows it (see the module's docstring)."""
    if value is None or value == "":
        return "—"
    spec = _SPECS.get(field)
    sensitivity = spec.policy.sensitivity if spec else Sensitivity.SECRET  # unknown: hidden
    if isinstance(value, dict):  # a card or bank account: its token hidden, the rest shown
        return ", ".join(f"{k}: {HIDDEN if k == 'token' else v}" for k, v in sorted(value.items()))
    if sensitivity == Sensitivity.SECRET:
        return HIDDEN
    if sensitivity == Sensitivity.SENSITIVE and spec is not None:
        return display(value, spec.policy)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return str(value)


@dataclass(frozen=True)
class Carried:
    label: str
    field: str
    kind: str
    row: Any
    old: str
    new: str
    held: str  # what the system holds for (field, row) now
    up_to_date: bool  # the system holds what this event carried


@dataclass(frozen=True)
class ReceiverPage:
    system: str  # the receiver's path, "/northwind/crm"
    customer: str
    attempts: list[dict[str, Any]]
    event: dict[str, Any] | None  # the first verified copy that arrived
    carried: list[Carried]
    record: list[tuple[str, Any, str]]  # (label, row, value shown)
    record_sequence: int | None
    record_updated_at: datetime | None


def receiver_page(*, delivery: Delivery) -> ReceiverPage | None:
    """None when the delivery's connector does not deliver to the demo receiver."""
    system = receiver_path(delivery.connector)
    if system is None:
        return None
    store = receiver_store()
    attempts = [
        {**a, "received_at": datetime.fromisoformat(a["received_at"])}
        for a in requests_for(store, idempotency_key=delivery.idempotency_key)
        if a["system"] == system
    ]
    # The customer from the desk's own row, never from what arrived: only this one.
    customer = str((delivery.event.get("data") or {}).get("customer") or "")
    held = record_of(store, system=system, customer=customer) if customer else None
    values = {(v["field"], v["row"]): v["value"] for v in (held or {}).get("values", [])}
    event = next((a["event"] for a in attempts if a["verified"] and a["event"]), None)
    carried = []
    for change in (event or {}).get("data", {}).get("changes", []):
        field, row = change.get("field", ""), change.get("row")
        now = values.get((field, row))
        carried.append(
            Carried(
                label=str(change.get("label") or field),
                field=field,
                kind=str(change.get("kind")),
                row=row,
                old=shown(field, change.get("old")),
                new=shown(field, change.get("new")),
                held=shown(field, now) if (field, row) in values else "—",
                up_to_date=change.get("kind") == "value" and now == change.get("new"),
            )
        )
    record = [
        (str(_SPECS[f].label) if f in _SPECS else f, row, shown(f, value))
        for (f, row), value in sorted(values.items(), key=lambda kv: (kv[0][0], str(kv[0][1])))
    ]
    return ReceiverPage(
        system=system,
        customer=customer,
        attempts=attempts,
        event=event,
        carried=carried,
        record=record,
        record_sequence=held["sequence"] if held else None,
        record_updated_at=datetime.fromisoformat(held["updated_at"]) if held else None,
    )
