"""A connector's data scope: the profile fields a downstream system receives in clear
(docs/design.md §6, GDPR Art. 5(1)(c)). A field outside the scope is not sent at all,
not even masked; a card or a bank account is only ever sent as the vault's token with
what identifies it to a person (brand and last four, masked IBAN); a security answer,
a one-time code or a password is never a field the desk can send.

A scope is a list of field keys ("emailaddress.email", "paymentcard.vault_token"), the
`FieldSpec.key` of intake's capture rules.
"""

from django.utils.text import capfirst

from profiledesk.intake.fields import CATEGORY_FIELDS, Kind
from profiledesk.policies.categories import Category
from profiledesk.privacy.sensitivity import Sensitivity

from .models import Kind as ConnectorKind

# Never sendable whatever a desk admin ticks: the answer is a salted hash the desk keeps
# to check callers; the avatar is a private file a receiver cannot fetch from an event.
_NEVER = {"securityquestion.answer_hash", "avatar.image"}
# Vault tokens are SECRET for the desk's own screens (never shown) but are what a
# billing system exchanges with the payment provider: sendable, as the token only.
_TOKENS = {"paymentcard.vault_token", "bankaccount.vault_token"}


def scopable() -> list[tuple[str, str, str]]:
    """(key, category label, field label) of every field a scope may hold, in the capture
    rules' order."""
    fields = []
    for category, specs in CATEGORY_FIELDS.items():
        for spec in specs:
            if spec.kind != Kind.VALUE or spec.key in _NEVER:
                continue
            if spec.policy.sensitivity == Sensitivity.SECRET and spec.key not in _TOKENS:
                continue
            label = f"{capfirst(spec.model._meta.verbose_name)}: {spec.label}"
            fields.append((spec.key, str(Category(category).label), label))
    return fields


def scopable_keys() -> set[str]:
    return {key for key, _category, _label in scopable()}


_NAMES = [
    "personaldetails.legal_name",
    "personaldetails.preferred_name",
]
_CONTACT = [
    "emailaddress.email",
    "emailaddress.is_primary",
    "phonenumber.number",
    "phonenumber.kind",
    "phonenumber.is_primary",
]
_ADDRESS = [
    f"postaladdress.{name}"
    for name in ("kind", "line1", "line2", "city", "region", "postal_code", "country", "is_primary")
]
_LANGUAGE = [f"languageregion.{name}" for name in ("language", "locale", "time_zone", "country")]
_PAYMENT = (
    [
        f"paymentcard.{name}"
        for name in ("vault_token", "exp_month", "exp_year", "holder_name", "billing_address")
    ]
    + ["paymentcard.is_default"]
    + [
        f"bankaccount.{name}"
        for name in ("vault_token", "account_holder", "bank_name", "is_default")
    ]
)

# What each kind of system needs to update its record, offered when a connector is added
# (a desk admin can narrow or widen it; every edit is audited).
PRESETS: dict[str, list[str]] = {
    ConnectorKind.CRM: [*_NAMES, *_CONTACT, *_ADDRESS, *_LANGUAGE],
    ConnectorKind.BILLING: [*_NAMES, *_ADDRESS, *_PAYMENT],
    ConnectorKind.SUPPORT: [*_NAMES, "emailaddress.email", "emailaddress.is_primary", *_LANGUAGE],
    ConnectorKind.COMMUNICATIONS: [
        *_NAMES,
        *_CONTACT,
        *_LANGUAGE,
        *(f"preferences.{name}" for name in ("email_notifications", "sms_notifications")),
        *(f"preferences.{name}" for name in ("marketing_email", "marketing_sms")),
        *(f"preferences.{name}" for name in ("confirm_by_email", "confirm_by_sms")),
        "preferences.confirm_in_app",
    ],
    # An identity system gets the security commands; it needs no profile value.
    ConnectorKind.IDENTITY: [],
}
