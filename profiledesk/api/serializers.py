"""What the API accepts and returns. Serializers only check shapes and field rules; the
request's business checks (the customer exists, the fields fit the category) are here too
because they are what a 400 names, but nothing is written here.

No error message repeats what was sent: DRF's "'x' is not a valid choice" is replaced,
so a card number typed into the wrong field is never echoed back.
"""

import functools
import re
import zoneinfo

import phonenumbers
from django.conf import global_settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from profiledesk.customers.models import (
    Customer,
    LinkedAccount,
    PersonalDetails,
    PhoneNumber,
    PostalAddress,
)
from profiledesk.intake import validators
from profiledesk.intake.capture import customer_country
from profiledesk.intake.forms import normalise_locale
from profiledesk.policies.categories import Category
from profiledesk.tickets.models import Channel, State

from .changes import API_CATEGORIES, CATEGORY_FIELDS, CVV_NAMES
from .schema import REQUEST_CHANNELS

NOT_A_CHOICE = _("Not one of the allowed values.")
COUNTRY = r"^[A-Za-z]{2}$"


def choice(choices, **kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=choices, error_messages={"invalid_choice": NOT_A_CHOICE}, **kwargs
    )


def _check(validator, value, *args):
    """Run an intake validator; its ValidationError becomes the field's 400 message."""
    try:
        result = validator(value, *args)
    except DjangoValidationError as error:
        raise serializers.ValidationError(list(error.messages)) from None
    return value if result is None else result


# JSON types as the schema states them: DRF would otherwise take 5 for "5", "yes" for
# true and "12" for 12, and the schema would not say what the API does.
class Text(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class Pattern(serializers.RegexField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class Integer(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class Boolean(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class Date(serializers.DateField):
    def to_internal_value(self, value):
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class StrictSerializer(serializers.Serializer):
    """Unknown keys are an error, not silently dropped: a typo must not lose a change."""

    unknown_message = _("Unknown field.")

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = [key for key in data if key not in self.fields]
            if unknown:
                raise serializers.ValidationError(
                    {str(key): [self.message_for_unknown(str(key))] for key in unknown}
                )
        return super().to_internal_value(data)

    def message_for_unknown(self, key: str) -> str:
        return str(self.unknown_message)


def _opt(field_class, **kwargs):
    return field_class(required=False, **kwargs)


def _validator(function, **kwargs):
    def run(value):
        _check(functools.partial(function, **kwargs), value)

    return run


def _free(max_length: int, **kwargs):
    """A name, an address line: intake's free-text rules (never a card number)."""
    return Text(
        required=False,
        max_length=max_length,
        validators=[_validator(validators.validate_free_text, max_length=max_length)],
        **kwargs,
    )


COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)
LANGUAGES = list(global_settings.LANGUAGES)
TIME_ZONES = frozenset(tz for tz in zoneinfo.available_timezones() if "/" in tz)
LOCALE = r"^[a-zA-Z]{2,3}([-_]([a-zA-Z]{2}|[0-9]{3}))?$"

# A field that only means something with another: (field, what it needs).
NEEDS = [
    ("phone_kind", "phone"),
    *((f"address_{part}", "address_line1") for part in
      ("line2", "city", "region", "postal_code", "country", "kind")),
    ("address_line1", "address_city"),
    ("address_line1", "address_country"),
    ("card_exp_month", "card_number"),
    ("card_exp_year", "card_number"),
    ("card_holder_name", "card_number"),
    ("card_number", "card_exp_month"),
    ("card_number", "card_exp_year"),
    ("account_holder", "iban"),
    ("bank_name", "iban"),
    ("national_id_country", "national_id"),
    ("tax_id_country", "tax_id"),
]  # fmt: skip


class ChangesSerializer(StrictSerializer):
    """The new values, by field (the names of the desk's capture forms). Each field
    belongs to one category; a request changes fields of its category only."""

    # personal
    legal_name = _free(200)
    preferred_name = _free(100)
    date_of_birth = _opt(Date)
    gender = _opt(choice, choices=PersonalDetails.Gender.choices)
    national_id = _opt(Text, max_length=64)
    national_id_country = _opt(
        Pattern, regex=COUNTRY, help_text=_("ISO 3166-1 alpha-2; default: the customer's.")
    )
    # contact: each replaces the customer's primary one
    email = _opt(Text, max_length=254)
    phone = _opt(
        Text,
        max_length=64,
        help_text=_("Without +, read as a number of the customer's country."),
    )
    phone_kind = _opt(choice, choices=PhoneNumber.Kind.choices)
    address_line1 = _free(200, help_text=_("With address_city and address_country."))
    address_line2 = _free(200)
    address_city = _free(100)
    address_region = _free(100)
    address_postal_code = _opt(Text, max_length=20)
    address_country = _opt(Pattern, regex=COUNTRY, help_text=_("ISO 3166-1 alpha-2."))
    address_kind = _opt(choice, choices=PostalAddress.Kind.choices)
    # security: commands to the client's identity system; the desk never sets a password
    password_reset = _opt(Boolean)
    two_factor_reset = _opt(Boolean)
    sign_out_everywhere = _opt(Boolean)
    # preferences
    email_notifications = _opt(Boolean)
    sms_notifications = _opt(Boolean)
    marketing_email = _opt(Boolean)
    marketing_sms = _opt(Boolean)
    confirm_by_email = _opt(Boolean)
    confirm_by_sms = _opt(Boolean)
    confirm_in_app = _opt(Boolean)
    auto_renew = _opt(Boolean)
    # linked accounts: the desk can unlink; linking is the customer's own OAuth flow
    unlink_provider = _opt(
        choice, choices=LinkedAccount.Provider.choices, help_text=_("Needs the customer.")
    )
    # billing: the card number goes to the vault and is never stored or echoed
    card_number = _opt(
        Text,
        max_length=40,
        help_text=_(
            "Goes to the vault at once; only brand, BIN and last four are kept. Never send the CVV."
        ),
    )
    card_exp_month = _opt(Integer, min_value=1, max_value=12)
    card_exp_year = _opt(Integer, min_value=2000, max_value=2100)
    card_holder_name = _free(100)
    iban = _opt(Text, max_length=64)
    account_holder = _free(100)
    bank_name = _free(100)
    # language and region
    language = _opt(choice, choices=LANGUAGES)
    locale = _opt(Pattern, regex=LOCALE, max_length=16, help_text=_("Such as en-GB."))
    time_zone = _opt(Text, max_length=64, help_text=_("An IANA time zone: Europe/London."))
    country = _opt(Pattern, regex=COUNTRY, help_text=_("ISO 3166-1 alpha-2."))
    # organisation
    business_name = _free(200)
    tax_id = _opt(Text, max_length=64)
    tax_id_country = _opt(
        Pattern, regex=COUNTRY, help_text=_("ISO 3166-1 alpha-2; default: the customer's.")
    )
    vat_number = _opt(Text, max_length=64, help_text=_("With its country code: DE136695976."))
    registration_number = _free(32)
    billing_entity = _free(200)
    job_title = _free(100)
    department = _free(100)

    def message_for_unknown(self, key: str) -> str:
        if key.lower().replace("-", "_") in CVV_NAMES:
            return str(_("Never send the card security code (CVV): the desk does not accept it."))
        return super().message_for_unknown(key)

    # Field rules from intake.validators: the same ones the desk's forms use.
    def validate_date_of_birth(self, value):
        return _check(validators.validate_date_of_birth, value)

    def validate_email(self, value):
        return _check(validators.normalise_email, value)

    def validate_card_number(self, value):
        return _check(validators.validate_card, value)

    def validate_iban(self, value):
        return _check(validators.validate_iban, value)

    def validate_vat_number(self, value):
        return _check(validators.validate_vat, value)

    def validate_locale(self, value):
        return _check(normalise_locale, value)

    def validate_time_zone(self, value):
        if value not in TIME_ZONES:
            raise serializers.ValidationError(_("Not a time zone such as Europe/London."))
        return value

    def _country(self, value):
        value = value.upper()
        if value not in COUNTRIES:
            raise serializers.ValidationError(_("Not an ISO 3166-1 country code."))
        return value

    validate_national_id_country = validate_address_country = _country
    validate_country = validate_tax_id_country = _country

    def validate(self, attrs):
        errors = {
            field: [str(_("Send %(other)s with this field.") % {"other": other})]
            for field, other in NEEDS
            if field in attrs and other not in attrs
        }
        if "card_exp_month" in attrs and "card_exp_year" in attrs:
            today = timezone.localdate()
            if (attrs["card_exp_year"], attrs["card_exp_month"]) < (today.year, today.month):
                errors["card_exp_year"] = [str(_("This card has expired."))]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def _country_checks(changes: dict, country: str) -> dict:
    """The rules that depend on a country: the customer's unless the change names one.
    Normalises `changes` in place; returns the errors by field."""
    errors = {}
    checks = [
        ("phone", validators.normalise_phone, country),
        ("address_postal_code", validators.validate_postal_code,
         changes.get("address_country", country)),
        ("national_id", validators.validate_national_id,
         changes.get("national_id_country", country)),
        ("tax_id", validators.validate_tax_id, changes.get("tax_id_country", country)),
    ]  # fmt: skip
    for name, validator, where in checks:
        if name in changes:
            try:
                changes[name] = _check(validator, changes[name], where)
            except serializers.ValidationError as error:
                errors[name] = error.detail
    return errors


class ChangeRequestCreateSerializer(StrictSerializer):
    """A change request: what the customer asked for, with the new values."""

    customer = Text(
        required=False,
        allow_null=True,
        max_length=20,
        help_text=_(
            "The customer's number with this client; leave out if unknown: the desk "
            "matches the request to a customer during verification."
        ),
    )
    channel = choice(
        choices=REQUEST_CHANNELS,
        default=Channel.API,
        help_text=_("Where the customer made the request."),
    )
    category = choice(choices=[(c.value, c.label) for c in API_CATEGORIES])
    changes = ChangesSerializer(
        help_text=_("New values by field; every field must belong to the category.")
    )
    summary = Text(
        required=False,
        allow_blank=True,
        max_length=200,
        default="",
        help_text=_("Card-like numbers are redacted before they are stored."),
        validators=[_validator(validators.validate_no_invisible)],
    )
    comment = Text(
        required=False,
        allow_blank=True,
        max_length=5000,
        default="",
        help_text=_("Shown on the ticket's timeline; card-like numbers are redacted."),
        validators=[_validator(validators.validate_no_invisible)],
    )

    def validate_customer(self, value):
        if value in (None, ""):
            return None
        customer = Customer.objects.filter(client=self.context["client"], number=value).first()
        if customer is None:
            # Not echoed: the caller knows what it sent.
            raise serializers.ValidationError(_("No customer of yours has this number."))
        return customer

    def validate(self, attrs):
        category = attrs["category"]
        changes = attrs["changes"]
        customer = attrs.get("customer")
        allowed = CATEGORY_FIELDS[category]
        errors = {
            name: [str(_("Not a field of the %(category)s category.") % {"category": category})]
            for name in changes
            if name not in allowed
        }
        if not changes:
            errors["non_field_errors"] = [str(_("Send at least one change."))]
        if not errors:
            country = customer_country(customer) if customer else self.context["client"].country
            errors = _country_checks(changes, country)
        if "unlink_provider" in changes and not errors:
            provider = changes["unlink_provider"]
            if customer is None:
                errors["unlink_provider"] = [str(_("Name the customer to unlink an account."))]
            elif not customer.linked_accounts.filter(provider=provider).exists():
                message = _("The customer has no account linked with this provider.")
                errors["unlink_provider"] = [str(message)]
        if errors:
            raise serializers.ValidationError({"changes": errors})
        return attrs


class ChangeItemSerializer(serializers.Serializer):
    section = serializers.CharField()
    field = serializers.CharField()
    label = serializers.CharField()
    old_value = serializers.CharField(help_text=_("Masked; empty for a new value."))
    new_value = serializers.CharField(help_text=_("Masked as the desk shows it."))


class ChangeRequestStatusSerializer(serializers.Serializer):
    reference = serializers.CharField(help_text=_("PD- and six or more digits."))
    state = choice(choices=State.choices)
    category = choice(choices=Category.choices)
    channel = choice(choices=Channel.choices)
    customer = serializers.CharField(allow_null=True, help_text=_("The customer's number."))
    created_at = serializers.DateTimeField()
    sla_due_at = serializers.DateTimeField()
    items = ChangeItemSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class _Messages(serializers.ListField):
    pass


@extend_schema_field(
    {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        ]
    }
)
class _ChangesMessages(serializers.Field):
    """Messages about `changes` as a whole (e.g. null: a list), or by change field."""


class ValidationErrorSerializer(serializers.Serializer):
    """A 400: messages by field (`changes` has them by change field), or `detail`."""

    detail = serializers.CharField(required=False, help_text=_("A body that is not JSON."))
    non_field_errors = _Messages(required=False)
    customer = _Messages(required=False)
    channel = _Messages(required=False)
    category = _Messages(required=False)
    summary = _Messages(required=False)
    comment = _Messages(required=False)
    changes = _ChangesMessages(required=False)
