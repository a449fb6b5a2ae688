"""The API's change fields, and how they become change items.

The names in `changes` are the field names of the desk's own capture forms
(intake/forms.py), and the items are made by the same `intake.capture.drafts_for` the
desk uses, so a ticket from the API reads exactly like one typed by an agent: same field
keys, same masked displays, card numbers and IBANs exchanged for vault tokens there and
nowhere else.

What the API means by a change, where the forms let the agent choose:
- a new e-mail, phone or address **replaces the primary one** (a new primary if the
  customer has none);
- a new card or bank account is added and becomes the default;
- `unlink_provider` names the provider; the customer's account with it is unlinked.

Avatar changes need an image upload and are not taken by the JSON API.
"""

from django.db import models

from profiledesk.customers import models as profile
from profiledesk.intake.capture import drafts_for
from profiledesk.policies.categories import Category
from profiledesk.tickets.services import ItemDraft

API_CATEGORIES = [c for c in Category if c != Category.AVATAR]

CATEGORY_FIELDS: dict[str, frozenset[str]] = {
    Category.PERSONAL: frozenset(
        {"legal_name", "preferred_name", "date_of_birth", "gender", "national_id",
         "national_id_country"}
    ),
    Category.CONTACT: frozenset(
        {"email", "phone", "phone_kind", "address_line1", "address_line2", "address_city",
         "address_region", "address_postal_code", "address_country", "address_kind"}
    ),
    Category.SECURITY: frozenset({"password_reset", "two_factor_reset", "sign_out_everywhere"}),
    Category.PREFERENCES: frozenset(
        {"email_notifications", "sms_notifications", "marketing_email", "marketing_sms",
         "confirm_by_email", "confirm_by_sms", "confirm_in_app", "auto_renew"}
    ),
    Category.LINKED_ACCOUNTS: frozenset({"unlink_provider"}),
    Category.BILLING: frozenset(
        {"card_number", "card_exp_month", "card_exp_year", "card_holder_name", "iban",
         "account_holder", "bank_name"}
    ),
    Category.LANGUAGE_REGION: frozenset({"language", "locale", "time_zone", "country"}),
    Category.ORGANISATION: frozenset(
        {"business_name", "tax_id", "tax_id_country", "vat_number", "registration_number",
         "billing_entity", "job_title", "department"}
    ),
}  # fmt: skip

# Keys that look like a card security code: refused with a message of their own.
CVV_NAMES = frozenset({"cvv", "cvc", "cvv2", "cvc2", "csc", "cid", "security_code",
                       "card_cvv", "card_cvc", "card_security_code"})  # fmt: skip


class _UnknownRow:
    """A one-row section whose values are not known: every attribute is None (so no new
    value equals it) and it is falsy (so nothing is read from it)."""

    pk = None

    def __getattr__(self, name: str):
        return None

    def __bool__(self) -> bool:
        return False


class ProfileNotYetKnown:
    """Stands in for the customer when the caller did not name one, for
    `intake.capture.drafts_for`: nothing is known of the profile, so every value is a new
    one (no old value, no row replaced). An agent matches the ticket to the customer
    before verification."""

    def __init__(self, client):
        self.client = client
        unknown = _UnknownRow()
        self.personal = self.security = self.preferences = unknown
        self.language_region = self.organisation = self.avatar = unknown

    def _none(self, model: type[models.Model]) -> models.QuerySet:
        return model.objects.none()

    emails = property(lambda self: self._none(profile.EmailAddress))
    phones = property(lambda self: self._none(profile.PhoneNumber))
    addresses = property(lambda self: self._none(profile.PostalAddress))
    security_questions = property(lambda self: self._none(profile.SecurityQuestion))
    linked_accounts = property(lambda self: self._none(profile.LinkedAccount))
    cards = property(lambda self: self._none(profile.PaymentCard))
    bank_accounts = property(lambda self: self._none(profile.BankAccount))


def _primary_pk(queryset) -> int | None:
    return queryset.filter(is_primary=True).values_list("pk", flat=True).first()


def capture_data(*, changes: dict, customer) -> dict:
    """The API's `changes` as the capture form's cleaned_data."""
    data = dict(changes)
    if customer is None:
        return data
    if "email" in data:
        data["email_target"] = _primary_pk(customer.emails)
    if "phone" in data:
        data["phone_target"] = _primary_pk(customer.phones)
    if any(key.startswith("address_") for key in data):
        data["address_target"] = _primary_pk(customer.addresses)
    if "card_number" in data:
        data["card_make_default"] = True
    if "iban" in data:
        data["bank_make_default"] = True
    provider = data.pop("unlink_provider", None)
    if provider is not None:
        data["unlink"] = list(
            customer.linked_accounts.filter(provider=provider).values_list("pk", flat=True)
        )
    return data


def drafts_for_api(*, client, category: str, changes: dict, customer) -> list[ItemDraft]:
    """Change items for validated `changes` (raises Django's ValidationError when nothing
    would change). Card numbers and IBANs go to the vault in here."""
    return drafts_for(
        category=category,
        cleaned_data=capture_data(changes=changes, customer=customer),
        customer=customer if customer is not None else ProfileNotYetKnown(client),
    )
