"""A captured change back into its category form, for editing it (issue 14).

`form_prefill(category=…, items=…)` gives the `initial` of `intake.forms.form_for(category,
…)` that asks for the same change again, and the items it could not put back:

- a secret (card number, IBAN, security answer) is held as a vault token or a hash; it
  cannot be shown, and it must not be: the agent types it again;
- a value masked by default (a contact value, a date of birth, a national ID) is not
  written into the page in clear either: its field stays empty with the masked value
  beside it, and the agent types it again (the masking rule, `FieldPolicy.masked_by_default`,
  is the one of every other screen);
- a picture cannot be put back into a file input.

A field left empty is "no change", as at intake: an item not asked for again leaves the
change. The reverse of `intake.capture` (its `_Drafts` calls), field by field.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from profiledesk.policies.categories import Category

from .capture import Kind, resolve_field

if TYPE_CHECKING:  # a type only: intake sits below tickets
    from profiledesk.tickets.models import ChangeItem

# ChangeItem.field -> the form field that asks for it, per category.
_PERSONAL = {
    f"personaldetails.{name}": name
    for name in (
        "legal_name",
        "preferred_name",
        "date_of_birth",
        "gender",
        "national_id",
        "national_id_country",
    )
}
_CONTACT = {
    "emailaddress.email": "email",
    "emailaddress.is_primary": "email_make_primary",
    "phonenumber.number": "phone",
    "phonenumber.kind": "phone_kind",
    "phonenumber.is_primary": "phone_make_primary",
    **{
        f"postaladdress.{name}": f"address_{name}"
        for name in ("line1", "line2", "city", "region", "postal_code", "country", "kind")
    },
    "postaladdress.is_primary": "address_make_primary",
}
_SECURITY = {
    "securitysettings.password_reset": "password_reset",
    "securitysettings.two_factor_reset": "two_factor_reset",
    "securitysettings.sign_out_everywhere": "sign_out_everywhere",
    "securityquestion.question": "question",
    "securityquestion.answer_hash": "answer",
}
_PREFERENCES = {
    f"preferences.{name}": name
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
}
_BILLING = {
    "paymentcard.vault_token": "card_number",
    "paymentcard.exp_month": "card_exp_month",
    "paymentcard.exp_year": "card_exp_year",
    "paymentcard.holder_name": "card_holder_name",
    "paymentcard.billing_address": "card_billing_address",
    "paymentcard.is_default": "card_make_default",
    "bankaccount.vault_token": "iban",
    "bankaccount.account_holder": "account_holder",
    "bankaccount.bank_name": "bank_name",
    "bankaccount.is_default": "bank_make_default",
}
_LANGUAGE = {
    f"languageregion.{name}": name for name in ("language", "locale", "time_zone", "country")
}
_ORGANISATION = {
    f"organisation.{name}": name
    for name in (
        "business_name",
        "tax_id",
        "vat_number",
        "registration_number",
        "billing_entity",
        "job_title",
        "department",
    )
}
FORM_FIELDS: dict[str, dict[str, str]] = {
    Category.PERSONAL: _PERSONAL,
    Category.CONTACT: _CONTACT,
    Category.SECURITY: _SECURITY,
    Category.PREFERENCES: _PREFERENCES,
    Category.LINKED_ACCOUNTS: {"linkedaccount.unlink": "unlink"},
    Category.BILLING: _BILLING,
    Category.LANGUAGE_REGION: _LANGUAGE,
    Category.ORGANISATION: _ORGANISATION,
    Category.AVATAR: {"avatar.image": "image"},
}
# The "which row" field of each model whose items name a row (`target_id`).
_TARGETS = {
    "emailaddress": "email_target",
    "phonenumber": "phone_target",
    "postaladdress": "address_target",
    "securityquestion": "question_target",
    "paymentcard": "card_target",
    "bankaccount": "bank_target",
}
_BOOLEAN_FORM_FIELDS = {
    "email_make_primary",
    "phone_make_primary",
    "address_make_primary",
    "card_make_default",
    "bank_make_default",
    "password_reset",
    "two_factor_reset",
    "sign_out_everywhere",
}


@dataclass(frozen=True)
class Retype:
    """A captured value the form does not show again: the agent types it again."""

    name: str  # the form field
    label: str
    shown: str  # the item's masked display


@dataclass
class Prefill:
    initial: dict = field(default_factory=dict)
    retype: list[Retype] = field(default_factory=list)


def _shown_again(item: "ChangeItem") -> bool:
    """May the item's value be written into the edit page in clear?"""
    if item.is_secret:
        return False
    try:
        spec = resolve_field(item.section, item.field)
    except LookupError:
        return False
    if spec.kind != Kind.VALUE:
        return True  # a command or removal: no value, only "asked for"
    if spec.name == "image":
        return False
    return not spec.policy.masked_by_default


def _value(name: str, item: "ChangeItem") -> object:
    if name in _BOOLEAN_FORM_FIELDS:
        return item.new_value != "false"
    if item.new_value in ("true", "false"):
        return item.new_value == "true"
    return item.new_value


def form_prefill(*, category: str, items: Iterable["ChangeItem"]) -> Prefill:
    """The initial data of the category form that asks for `items` again, and what the
    agent must type again (secrets, values masked by default, pictures)."""
    names = FORM_FIELDS.get(category, {})
    prefill = Prefill()
    for item in items:
        name = names.get(item.field)
        if name is None:
            continue
        model = item.field.split(".")[0]
        if model in _TARGETS:
            # The row it changes, or "a new one" ("") over the form's own default (the
            # primary row): an edit must not turn an addition into a replacement.
            prefill.initial[_TARGETS[model]] = "" if item.target_id is None else item.target_id
        if name == "unlink":
            prefill.initial.setdefault("unlink", []).append(item.target_id)
            continue
        if _shown_again(item):
            prefill.initial[name] = _value(name, item)
        else:
            prefill.retype.append(Retype(name, item.label, item.new_display or _("set")))
    return prefill
