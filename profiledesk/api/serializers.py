"""What the API accepts and returns. The serializers check JSON shape only: known keys,
JSON types, and the customer number naming one of the client's customers. What a value
must be (required companions, formats, check digits, the CVV refusal, messages) is the
desk's capture form's to say (api/changes.py binds it), so the rules live once.

The `changes` fields still state in the schema what the form takes (lengths, ranges,
enums, patterns), for client developers; they are documentation here, not checks.

No error message repeats what was sent: DRF's "'x' is not a valid choice" is replaced
(and the forms' own), so a card number typed into the wrong field is never echoed back.
"""

import functools

from django.conf import global_settings
from django.core.exceptions import ValidationError as DjangoValidationError
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
from profiledesk.intake.validators import is_card_security_code
from profiledesk.policies.categories import Category
from profiledesk.tickets.models import Channel, State

from .changes import API_CATEGORIES
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


class Boolean(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictSerializer(serializers.Serializer):
    """Unknown keys are an error, not silently dropped: a typo must not lose a change."""

    unknown_message = _("Unknown field.")

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = [k for k in data if k not in self.fields and not self.passes_on(k)]
            if unknown:
                raise serializers.ValidationError(
                    {str(key): [str(self.unknown_message)] for key in unknown}
                )
        value = super().to_internal_value(data)
        value.update({k: v for k, v in data.items() if self.passes_on(k)})
        return value

    def passes_on(self, key) -> bool:
        """A key that is not a field but is kept for the next check to refuse."""
        return False


def _validator(function, **kwargs):
    def run(value):
        _check(functools.partial(function, **kwargs), value)

    return run


# --- `changes`: JSON shape only ------------------------------------------------------


class _Shape:
    """A field of `changes`: checks the JSON type and passes the value on as sent. Its
    length, range, pattern or choices are stated for the schema; the capture form
    checks them (and says so in the desk's words)."""

    type_message = _("Not a valid string.")

    def json_type_ok(self, data) -> bool:
        return isinstance(data, str)

    def to_internal_value(self, data):
        if not self.json_type_ok(data):
            raise serializers.ValidationError(str(self.type_message), code="invalid")
        if data == "" and not getattr(self, "allow_blank", False):
            # Blank means "no change" to a form: in JSON, leave the field out.
            raise serializers.ValidationError(str(_("This field may not be blank.")), code="blank")
        return data

    def run_validators(self, value) -> None:
        """The capture form validates the value."""


class ChangeText(_Shape, serializers.CharField):
    def run_validation(self, data=serializers.empty):
        # CharField's own blank check strips first: "  " is the form's to judge.
        return serializers.Field.run_validation(self, data)


class ChangePattern(_Shape, serializers.RegexField):
    def run_validation(self, data=serializers.empty):
        return serializers.Field.run_validation(self, data)


class ChangeChoice(_Shape, serializers.ChoiceField):
    pass


class ChangeInteger(_Shape, serializers.IntegerField):
    type_message = _("A valid integer is required.")

    def json_type_ok(self, data) -> bool:
        return isinstance(data, int) and not isinstance(data, bool)


class ChangeDate(_Shape, serializers.DateField):
    """YYYY-MM-DD, as the form reads it (and as the schema's `format: date` says)."""


def _opt(field_class, **kwargs):
    return field_class(required=False, **kwargs)


def _one_of(choices, **kwargs) -> ChangeChoice:
    return ChangeChoice(choices=choices, required=False, **kwargs)


def _free(max_length: int, **kwargs) -> ChangeText:
    """A name, an address line (the form applies intake's free-text rules)."""
    return ChangeText(required=False, max_length=max_length, **kwargs)


LANGUAGES = list(global_settings.LANGUAGES)
LOCALE = r"^[a-zA-Z]{2,3}([-_]([a-zA-Z]{2}|[0-9]{3}))?$"


class ChangesSerializer(StrictSerializer):
    """The new values, by field: the field names of the desk's capture forms, one form a
    category, checked by that form as an agent's typing is. Each field belongs to one
    category; a request changes fields of its category only."""

    # personal
    legal_name = _free(200)
    preferred_name = _free(100)
    date_of_birth = _opt(ChangeDate)
    gender = _one_of(choices=PersonalDetails.Gender.choices)
    national_id = _opt(ChangeText, max_length=64)
    national_id_country = _opt(
        ChangePattern,
        regex=COUNTRY,
        help_text=_("ISO 3166-1 alpha-2; default: the one on file, else the customer's."),
    )
    # contact: each replaces the customer's primary one
    email = _opt(ChangeText, max_length=254)
    phone = _opt(
        ChangeText,
        max_length=64,
        help_text=_("Without +, read as a number of the customer's country."),
    )
    phone_kind = _one_of(choices=PhoneNumber.Kind.choices)
    address_line1 = _free(200, help_text=_("With address_city."))
    address_line2 = _free(200)
    address_city = _free(100)
    address_region = _free(100)
    address_postal_code = _opt(ChangeText, max_length=20)
    address_country = _opt(
        ChangePattern, regex=COUNTRY, help_text=_("ISO 3166-1 alpha-2; default: the customer's.")
    )
    address_kind = _one_of(choices=PostalAddress.Kind.choices)
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
        ChangeText,
        max_length=40,
        help_text=_(
            "Goes to the vault at once; only brand, BIN and last four are kept. Never send the CVV."
        ),
    )
    card_exp_month = _opt(ChangeInteger, min_value=1, max_value=12)
    card_exp_year = _opt(ChangeInteger, min_value=2000, max_value=2100)
    card_holder_name = _free(100)
    iban = _opt(ChangeText, max_length=64)
    account_holder = _free(100)
    bank_name = _free(100)
    # language and region
    language = _one_of(choices=LANGUAGES)
    locale = _opt(ChangePattern, regex=LOCALE, max_length=16, help_text=_("Such as en-GB."))
    time_zone = _opt(ChangeText, max_length=64, help_text=_("An IANA time zone: Europe/London."))
    country = _opt(ChangePattern, regex=COUNTRY, help_text=_("ISO 3166-1 alpha-2."))
    # organisation
    business_name = _free(200)
    tax_id = _opt(ChangeText, max_length=64)
    tax_id_country = _opt(
        ChangePattern,
        regex=COUNTRY,
        help_text=_("ISO 3166-1 alpha-2; default: the one on file, else the customer's."),
    )
    vat_number = _opt(ChangeText, max_length=64, help_text=_("With its country code: DE136695976."))
    registration_number = _free(32)
    billing_entity = _free(200)
    job_title = _free(100)
    department = _free(100)

    def passes_on(self, key) -> bool:
        # A card security code, under any name, goes on to the form, which refuses it
        # with its reason (PCI DSS 3.3.1) instead of a bare "Unknown field.".
        return is_card_security_code(key)


class ChangeRequestCreateSerializer(StrictSerializer):
    """A change request: what the customer asked for, with the new values."""

    customer = Text(
        required=False,
        allow_null=True,
        max_length=20,
        help_text=_(
            "The customer's number with this client; leave out if unknown: an agent "
            "matches the request to a customer on the ticket before verifying them."
        ),
    )
    channel = choice(
        choices=REQUEST_CHANNELS,
        default=Channel.API,
        help_text=_("Where the customer made the request."),
    )
    category = choice(choices=[(c.value, c.label) for c in API_CATEGORIES])
    changes = ChangesSerializer(
        help_text=_(
            "New values by field; every field must belong to the category. Checked by the "
            "desk's own capture form of the category: the same required fields, rules and "
            "messages as an agent's."
        )
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

    # Checked by profiledesk.assertions (signature, claims, single use) once the request's
    # shape is known good; here only its JSON type and size.
    assertion = Text(
        required=False,
        allow_null=True,
        max_length=8192,
        default=None,
        help_text=_(
            "Optional: a JWT your app signed (ES256, RS256 or EdDSA, with a key registered "
            "with the desk) saying this customer just signed in there — iss, aud, sub (the "
            "customer number), amr, auth_time, iat, exp (at most 10 minutes after iat) and a "
            "single-use jti. Accepted, it is the customer's verification evidence at the "
            "level your client's policy gives its amr; refused, no ticket is opened (400 or "
            "401 with a `reason`). See docs/api.md."
        ),
    )

    def validate_customer(self, value):
        if value in (None, ""):
            return None
        customer = Customer.objects.filter(client=self.context["client"], number=value).first()
        if customer is None:
            # Not echoed: the caller knows what it sent.
            raise serializers.ValidationError(_("No customer of yours has this number."))
        return customer


class ChangeItemSerializer(serializers.Serializer):
    section = serializers.CharField()
    field = serializers.CharField()
    # A field of the item (DRF's metaclass takes declared fields off the class), not the
    # serializer's own `Field.label`, which is all the stubs know of.
    label = serializers.CharField()  # type: ignore[assignment]
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
    reason = serializers.CharField(
        required=False, help_text=_("Why an assertion was refused, such as bad_signature.")
    )


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
    """Messages about `changes` as a whole (e.g. null: a list), or by change field as the
    desk's capture form words them (`non_field_errors`: the change as a whole)."""


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
    assertion = _Messages(required=False)
    reason = serializers.CharField(
        required=False, help_text=_("Why an assertion was refused, such as expired or replayed.")
    )


# --- Thin events (docs/webhooks.md): what a thin connector's receiver fetches --------------


@extend_schema_field({"nullable": True, "description": "A JSON value of the field's type."})
class _AnyValue(serializers.JSONField):
    pass


class EventChangeSerializer(serializers.Serializer):
    section = serializers.CharField(help_text=_("The category of the change."))
    field = serializers.CharField(help_text=_("Such as emailaddress.email."))
    label = serializers.CharField()  # type: ignore[assignment]  # see ChangeItemSerializer
    kind = choice(choices=[("value", "value"), ("command", "command"), ("remove", "remove")])
    row = serializers.IntegerField(
        allow_null=True, help_text=_("The desk's id of the e-mail, phone, address… row.")
    )
    old = _AnyValue(required=False, help_text=_("In clear; null for a new row."))
    new = _AnyValue(required=False, help_text=_("In clear; a card is its vault token."))


class EventDataSerializer(serializers.Serializer):
    """What a `profile.changed` event carries; other event types carry their own fields
    (ignore those you do not know)."""

    customer = serializers.CharField(required=False, help_text=_("The customer's number."))
    applied_at = serializers.DateTimeField(required=False)
    changes = EventChangeSerializer(many=True, required=False)
    commands = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text=_("For an identity system: what to do."),
    )


class EventSerializer(serializers.Serializer):
    """An event as a full connector would have received it (docs/webhooks.md): the values
    under `data`, or, when your connector has a public key, under `data_jwe`."""

    id = serializers.CharField(help_text=_("The event's id, as in the thin event."))
    type = serializers.CharField(help_text=_("Such as profile.changed."))
    created_at = serializers.DateTimeField()
    client = serializers.CharField(help_text=_("Your slug at the desk."))
    ticket = serializers.CharField(help_text=_("The desk's ticket reference."))
    category = choice(choices=Category.choices)
    sequence = serializers.IntegerField(allow_null=True)
    replaces = serializers.IntegerField(allow_null=True)
    # A field (DRF's metaclass takes it off the class), not Serializer.data: see `label`.
    data = EventDataSerializer(  # type: ignore[assignment]
        required=False, help_text=_("The values, in clear.")
    )
    data_jwe = serializers.CharField(
        required=False,
        help_text=_("The values as a JWE compact string, for your connector's public key."),
    )
