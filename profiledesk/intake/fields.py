"""The fields of the profile a request can change (docs/design.md §2, §3): for each of the
nine categories, which attribute of which section model, and whether it is a value, a
command to the client's identity system or the removal of a row.

`ChangeItem.field` holds a field's `key` ("emailaddress.email"); `resolve_field` gives
its spec back. Capture (`capture.py`) turns a form into items of these fields; apply
writes them; a connector's data scope names them (connectors/scopes.py). This module
imports nothing above the profile, so that every layer can read the table.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy

from profiledesk.customers import models as m
from profiledesk.policies.categories import Category
from profiledesk.privacy.sensitivity import PUBLIC, FieldPolicy


class Kind(StrEnum):
    VALUE = "value"  # set `attribute` of the row (or of a new row) to `new_value`
    COMMAND = "command"  # an action sent to the client's systems; no value
    REMOVE = "remove"  # delete the row `target_id`


@dataclass(frozen=True)
class FieldSpec:
    category: str
    model: type[models.Model]
    name: str  # the attribute, or the command's name
    kind: Kind = Kind.VALUE

    @property
    def key(self) -> str:
        """What ChangeItem.field holds: "emailaddress.email"."""
        return f"{self.model._meta.model_name}.{self.name}"

    @property
    def attribute(self) -> str | None:
        return self.name if self.kind == Kind.VALUE else None

    @property
    def label(self) -> str:
        if self.key in _LABELS:
            return str(_LABELS[self.key])
        if self.kind == Kind.VALUE:
            field = self.model._meta.get_field(self.name)
            assert isinstance(field, models.Field)  # an attribute of the row, not a relation
            return str(capfirst(field.verbose_name))
        return str(_LABELS[self.name])  # commands and removals

    @property
    def policy(self) -> FieldPolicy:
        if self.kind == Kind.VALUE:
            # Every section model declares its fields' policies (customers.models).
            policies: dict[str, FieldPolicy] = getattr(self.model, "field_policies")  # noqa: B009
            return policies[self.name]
        return PUBLIC


_LABELS = {
    "password_reset": gettext_lazy("Password reset"),
    "two_factor_reset": gettext_lazy("Two-factor reset"),
    "sign_out_everywhere": gettext_lazy("Sign out everywhere"),
    "unlink": gettext_lazy("Unlink account"),
    # Fields whose model name is the storage detail, not what the agent changed.
    "paymentcard.vault_token": gettext_lazy("Card"),
    "bankaccount.vault_token": gettext_lazy("IBAN"),
    "securityquestion.answer_hash": gettext_lazy("Security answer"),
    # A relation's default verbose name is not marked for translation (no migration).
    "paymentcard.billing_address": gettext_lazy("Billing address"),
}

_C, _R = Kind.COMMAND, Kind.REMOVE

# Which fields each category can change. Everything else (ids, tokens kept by the vault,
# verification stamps, moderation) is the desk's to set, not a request's.
CATEGORY_FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    Category.PERSONAL: tuple(
        FieldSpec(Category.PERSONAL, m.PersonalDetails, name)
        for name in (
            "legal_name",
            "preferred_name",
            "date_of_birth",
            "gender",
            "national_id",
            "national_id_country",
        )
    ),
    Category.CONTACT: (
        FieldSpec(Category.CONTACT, m.EmailAddress, "email"),
        FieldSpec(Category.CONTACT, m.EmailAddress, "is_primary"),
        FieldSpec(Category.CONTACT, m.PhoneNumber, "number"),
        FieldSpec(Category.CONTACT, m.PhoneNumber, "kind"),
        FieldSpec(Category.CONTACT, m.PhoneNumber, "is_primary"),
        *(
            FieldSpec(Category.CONTACT, m.PostalAddress, name)
            for name in (
                "kind",
                "line1",
                "line2",
                "city",
                "region",
                "postal_code",
                "country",
                "is_primary",
            )
        ),
    ),
    Category.SECURITY: (
        FieldSpec(Category.SECURITY, m.SecuritySettings, "password_reset", _C),
        FieldSpec(Category.SECURITY, m.SecuritySettings, "two_factor_reset", _C),
        FieldSpec(Category.SECURITY, m.SecuritySettings, "sign_out_everywhere", _C),
        FieldSpec(Category.SECURITY, m.SecurityQuestion, "question"),
        FieldSpec(Category.SECURITY, m.SecurityQuestion, "answer_hash"),
    ),
    Category.PREFERENCES: tuple(
        FieldSpec(Category.PREFERENCES, m.Preferences, name)
        for name in (
            "email_notifications",
            "sms_notifications",
            "marketing_email",
            "marketing_sms",
            "confirm_by_email",
            "confirm_by_sms",
            "confirm_in_app",
            "auto_renew",
        )
    ),
    # Linking is the customer's own OAuth flow (docs/design.md §2): the desk can only unlink.
    Category.LINKED_ACCOUNTS: (FieldSpec(Category.LINKED_ACCOUNTS, m.LinkedAccount, "unlink", _R),),
    Category.BILLING: (
        *(
            FieldSpec(Category.BILLING, m.PaymentCard, name)
            for name in (
                "vault_token",
                "exp_month",
                "exp_year",
                "holder_name",
                "billing_address",
                "is_default",
            )
        ),
        *(
            FieldSpec(Category.BILLING, m.BankAccount, name)
            for name in ("vault_token", "account_holder", "bank_name", "is_default")
        ),
    ),
    Category.LANGUAGE_REGION: tuple(
        FieldSpec(Category.LANGUAGE_REGION, m.LanguageRegion, name)
        for name in ("language", "locale", "time_zone", "country")
    ),
    Category.ORGANISATION: tuple(
        FieldSpec(Category.ORGANISATION, m.Organisation, name)
        for name in (
            "business_name",
            "tax_id",
            "vat_number",
            "registration_number",
            "billing_entity",
            "job_title",
            "department",
        )
    ),
    Category.AVATAR: (FieldSpec(Category.AVATAR, m.Avatar, "image"),),
}

FIELD_SPECS: dict[tuple[str, str], FieldSpec] = {
    (spec.category, spec.key): spec for specs in CATEGORY_FIELDS.values() for spec in specs
}


def resolve_field(section: str, field: str) -> FieldSpec:
    """The spec of a ChangeItem's (section, field): its model, attribute and kind."""
    try:
        return FIELD_SPECS[(section, field)]
    except KeyError:
        raise LookupError(f"No field {field!r} in section {section!r}") from None
