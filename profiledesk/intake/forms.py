"""One form per change category (docs/design.md §2, §5). The forms only clean and normalise: every
value goes through `intake.validators`; `intake.capture.drafts_for` turns the cleaned
data into change items. A field left blank means "no change".

The page template owns the <form> (FormHelper(form_tag=False)) and the CSRF token.

Autofill: the person typing is an agent, not the data subject, so customer fields carry
autocomplete="off": a browser that remembered them would offer one caller's e-mail or
card to the next caller's agent (and offer to "save" a customer's card).
"""

import functools
import re
import zoneinfo

import phonenumbers
from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.conf import global_settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from phonenumbers import geocoder

from profiledesk.clients.models import Client
from profiledesk.customers import models as m
from profiledesk.policies.categories import Category
from profiledesk.privacy.masking import display
from verification.answers import normalise_answer

from . import validators as v
from .capture import customer_country, rows_of, section_of

OFF = {"autocomplete": "off"}


# --- widgets and choices ------------------------------------------------------------


class UnechoedTextInput(forms.TextInput):
    """A text input that never writes its value back into the page: a card number
    typed before an error elsewhere in the form is not re-rendered (nor cached)."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


@functools.lru_cache(maxsize=8)
def _countries(language: str) -> tuple[tuple[str, str], ...]:
    names = {}
    for region in phonenumbers.SUPPORTED_REGIONS:
        example = phonenumbers.example_number(region)
        name = geocoder.country_name_for_number(example, language) if example else ""
        names[region] = name or region
    # Named countries first, by name; the few codes phonenumbers cannot name at the end.
    return tuple(sorted(names.items(), key=lambda item: (item[1] == item[0], item[1])))


def country_choices() -> list[tuple[str, str]]:
    """Every country phonenumbers knows, named in the desk's current language."""
    return list(_countries((get_language() or "en").split("-")[0]))


def _named(codes) -> list[tuple[str, str]]:
    return sorted(((c, str(v.COUNTRY_NAMES.get(c, c))) for c in codes), key=lambda i: i[1])


def _named_choices(codes, *, blank: bool = False):
    """`_named(codes)` as a field's choices, named when the form renders: a list made at
    import would keep the English names for a Spanish reader (the portal)."""
    return lambda: [*([("", "")] if blank else []), *_named(codes)]


@functools.lru_cache(maxsize=1)
def _time_zones() -> tuple[tuple[str, str], ...]:
    return tuple((tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz)


NO_CHANGE = ("", _("— no change —"))
# Never "X is not one of the available choices": the value may be a card number typed
# into the wrong field (an API caller), and a message must not repeat it.
NOT_A_CHOICE = _("Not one of the allowed values.")


class IsoDateField(forms.DateField):
    """YYYY-MM-DD only: what the page's date input sends and the API's schema states; no
    guessing between 03/04 as March or April."""

    def to_python(self, value):
        if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class CountryField(forms.ChoiceField):
    """ISO 3166-1 alpha-2 in either case ("es" is Spain), kept upper case."""

    def to_python(self, value):
        return super().to_python(value).strip().upper()


def _now(model, row, name: str) -> SafeString:
    """Help text with the current value, masked as the profile page shows it.

    Form templates print help texts unescaped (Django's and crispy's `|safe`), and the value
    is whatever a customer, caller or client system stored: it goes in as an argument of
    `format_html`, which escapes it (a name such as `"><img onerror=…>` stays text)."""
    if row is None:
        return SafeString("")
    value = getattr(row, name)
    field = model._meta.get_field(name)
    if field.choices:
        value = dict(field.flatchoices).get(value, value)
    shown = display(value, model.field_policies[name])
    if not shown:
        return format_html("{}", _("Now: not set"))
    return format_html(str(_("Now: {value}")), value=shown)


def _help_with_now(help_text, now: SafeString) -> SafeString:
    """A field's own (constant) help text, then "Now: …" (already escaped by `_now`)."""
    if not help_text:
        return format_html("{}", now)
    return format_html("{} {}", help_text, now) if now else format_html("{}", help_text)


def _free_text(label, max_length: int, **kwargs) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=False,
        widget=forms.TextInput(attrs=OFF),
        **kwargs,
    )


# --- the base -----------------------------------------------------------------------


class ChangeForm(forms.Form):
    """Base of the category forms: knows the customer, their country, the client's
    "today", and the layout.

    The desk and the API bind the same forms: a request that names no customer (an API
    caller's, matched to a customer later) is a form with `customer=None` and the client:
    nothing is known of the profile, so every value is a new one and the client's home
    country reads the numbers."""

    category: str = ""
    # Free-text fields (name -> max length) cleaned by validators.validate_free_text.
    free_text: dict[str, int] = {}
    # Fields whose cleaned value is replaced by what a validator returns (normalised).
    normalisers: dict = {}
    # At least one of these must be filled for the form to ask for anything.
    change_fields: tuple[str, ...] = ()

    def __init__(self, *args, customer: m.Customer | None, client: Client | None = None, **kwargs):
        owner = customer.client if customer is not None else client
        if owner is None:
            raise ValueError("A change form needs the customer or, for no customer yet, the client")
        self.customer = customer
        self.client: Client = owner
        self.country = (
            customer_country(customer) if customer is not None else (owner.country or "").upper()
        )
        # "Today" for card expiry and date-of-birth checks: the client's calendar day,
        # whoever is typing and wherever the server runs.
        self.today = timezone.localdate(timezone=zoneinfo.ZoneInfo(owner.time_zone))
        super().__init__(*args, **kwargs)
        self.setup()
        for field in self.fields.values():
            if isinstance(field, forms.ChoiceField):
                field.error_messages["invalid_choice"] = NOT_A_CHOICE
        # Help texts are printed unescaped by the form templates: whatever setup() put
        # there is escaped unless it was built safe (format_html in _now) — a stored value
        # that slipped into a help text stays text.
        for field in self.fields.values():
            if field.help_text:
                field.help_text = conditional_escape(field.help_text)
        self.helper = FormHelper(self)
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        layout = self.layout()
        if layout is not None:
            self.helper.layout = layout

    def setup(self) -> None:
        """Customer-specific choices, initial values and help texts."""

    def layout(self) -> Layout | None:
        return None

    def _clean_fields(self):
        super()._clean_fields()
        steps = [
            *((name, functools.partial(v.validate_free_text, max_length=length))
              for name, length in self.free_text.items()),
            *self.normalisers.items(),
        ]  # fmt: skip
        for name, normalise in steps:
            value = self.cleaned_data.get(name)
            if value not in (None, ""):
                try:
                    self.cleaned_data[name] = normalise(value)
                except ValidationError as error:
                    self.add_error(name, error)

    def clean(self):
        cleaned = super().clean()
        # Whatever the form: a card security code, under any name, is refused outright.
        try:
            v.refuse_card_security_code(self.data.keys())
        except ValidationError as error:
            self.add_error(None, error)
        nothing = not any(
            cleaned.get(name) not in (None, "", False, [], ()) for name in self.change_fields
        )
        # A field with its own error already says what is wrong.
        if self.change_fields and nothing and not self.errors:
            raise ValidationError(_("Fill in what the customer wants to change."), code="empty")
        return cleaned

    def _checked(self, field: str, validator, *args) -> None:
        """Run `validator` on a cleaned value (in clean(), for cross-field checks)."""
        value = self.cleaned_data.get(field)
        if value in (None, ""):
            return
        try:
            self.cleaned_data[field] = validator(value, *args)
        except ValidationError as error:
            self.add_error(field, error)

    def _target_choices(self, rows, show, new_label) -> list[tuple[str, str]]:
        choices = [("", new_label)] if new_label else []
        for row in rows:
            label = show(row)
            if getattr(row, "is_primary", False) or getattr(row, "is_default", False):
                label = f"{label} ({_('primary') if hasattr(row, 'is_primary') else _('default')})"
            choices.append((str(row.pk), label))
        return choices


def _target_field(label) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, required=False, coerce=int, empty_value=None)


# --- personal -----------------------------------------------------------------------


class PersonalForm(ChangeForm):
    category = Category.PERSONAL
    free_text = {"legal_name": 200, "preferred_name": 100}
    change_fields = ("legal_name", "preferred_name", "date_of_birth", "gender", "national_id")

    legal_name = _free_text(_("New legal name"), 200)
    preferred_name = _free_text(_("New preferred name"), 100)
    date_of_birth = IsoDateField(
        label=_("Corrected date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", **OFF}, format="%Y-%m-%d"),
    )
    gender = forms.ChoiceField(
        label=_("Gender"), required=False, choices=[NO_CHANGE, *m.PersonalDetails.Gender.choices]
    )
    national_id = forms.CharField(
        label=_("New national ID"), max_length=64, required=False, widget=forms.TextInput(OFF)
    )
    national_id_country = CountryField(
        label=_("Country that issued the ID"),
        required=False,
        choices=_named_choices(v.NATIONAL_IDS),
        help_text=_("The number is checked against this country's rules."),
    )

    def setup(self):
        row = section_of(self.customer, "personal")
        for name in ("legal_name", "preferred_name", "date_of_birth", "gender", "national_id"):
            self.fields[name].help_text = _now(m.PersonalDetails, row, name)
        issued = getattr(row, "national_id_country", "") or self.country
        if issued in v.NATIONAL_IDS:
            self.fields["national_id_country"].initial = issued

    def clean_date_of_birth(self):
        born = self.cleaned_data.get("date_of_birth")
        return v.validate_date_of_birth(born, today=self.today) if born else born

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("national_id"):
            country = cleaned.get("national_id_country")
            if not country:
                self.add_error("national_id_country", _("Choose the country that issued the ID."))
            else:
                self._checked("national_id", v.validate_national_id, country)
        return cleaned


# --- contact ------------------------------------------------------------------------


class ContactForm(ChangeForm):
    category = Category.CONTACT
    free_text = {"address_line1": 200, "address_line2": 200, "address_city": 100,
                 "address_region": 100}  # fmt: skip
    change_fields = ("email", "phone", "address_line1")
    normalisers = {"email": v.normalise_email}

    email = forms.CharField(
        label=_("New e-mail address"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={**OFF, "spellcheck": "false"}),
        help_text=_("The customer proves it with a one-time code before it is used."),
    )
    email_target = _target_field(_("Replaces"))
    email_make_primary = forms.BooleanField(label=_("Make it the primary e-mail"), required=False)

    phone = forms.CharField(
        label=_("New phone number"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={**OFF, "type": "tel", "inputmode": "tel"}),
    )
    phone_kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=m.PhoneNumber.Kind.choices,
        initial=m.PhoneNumber.Kind.MOBILE,
    )
    phone_target = _target_field(_("Replaces"))
    phone_make_primary = forms.BooleanField(label=_("Make it the primary phone"), required=False)

    address_line1 = _free_text(_("Address line 1"), 200)
    address_line2 = _free_text(_("Address line 2"), 200)
    address_city = _free_text(_("City"), 100)
    address_region = _free_text(_("Region"), 100)
    address_postal_code = forms.CharField(
        label=_("Postal code"), max_length=20, required=False, widget=forms.TextInput(OFF)
    )
    address_country = CountryField(label=_("Country"), required=False)
    address_kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=m.PostalAddress.Kind.choices,
        initial=m.PostalAddress.Kind.HOME,
    )
    address_target = _target_field(_("Replaces"))
    address_make_primary = forms.BooleanField(
        label=_("Make it the primary address"), required=False
    )

    def setup(self):
        c = self.customer
        email_policy = m.EmailAddress.field_policies["email"]
        phone_policy = m.PhoneNumber.field_policies["number"]
        line_policy = m.PostalAddress.field_policies["line1"]
        code_policy = m.PostalAddress.field_policies["postal_code"]
        emails = list(rows_of(c, "emails", m.EmailAddress).order_by("-is_primary", "pk"))
        phones = list(rows_of(c, "phones", m.PhoneNumber).order_by("-is_primary", "pk"))
        addresses = list(rows_of(c, "addresses", m.PostalAddress).order_by("-is_primary", "pk"))
        for prefix, rows, show, new_label in (
            ("email", emails, lambda r: display(r.email, email_policy), _("Add a new address")),
            ("phone", phones, lambda r: display(r.number, phone_policy), _("Add a new number")),
            (
                "address",
                addresses,
                lambda r: f"{display(r.line1, line_policy)}, {display(r.postal_code, code_policy)}",
                _("Add a new address"),
            ),
        ):
            field = self.fields[f"{prefix}_target"]
            field.choices = self._target_choices(rows, show, new_label)
            primary = next((r for r in rows if r.is_primary), None)
            field.initial = str(primary.pk) if primary else ""
        self.fields["address_country"].choices = [("", ""), *country_choices()]
        self.fields["address_country"].initial = self.country
        self.fields["phone"].help_text = format_html(
            str(_("Numbers without +country code are read as numbers of {country}.")),
            country=v.COUNTRY_NAMES.get(self.country, self.country),
        )

    def layout(self):
        return Layout(
            Fieldset(_("E-mail"), "email", "email_target", "email_make_primary"),
            Fieldset(_("Phone"), "phone", "phone_kind", "phone_target", "phone_make_primary"),
            Fieldset(
                _("Postal address"),
                "address_line1",
                "address_line2",
                "address_city",
                "address_region",
                "address_postal_code",
                "address_country",
                "address_kind",
                "address_target",
                "address_make_primary",
            ),
        )

    def clean_phone(self):
        value = self.cleaned_data.get("phone")
        return v.normalise_phone(value, self.country) if value else value

    def clean(self):
        cleaned = super().clean()
        address = ("address_line2", "address_city", "address_region", "address_postal_code")
        if cleaned.get("address_line1") or any(cleaned.get(name) for name in address):
            if not cleaned.get("address_line1"):
                self.add_error("address_line1", _("Enter the first line of the address."))
            if not cleaned.get("address_city"):
                self.add_error("address_city", _("Enter the city."))
            country = cleaned.get("address_country")
            if not country:
                self.add_error("address_country", _("Choose the country."))
            elif cleaned.get("address_postal_code"):
                self._checked("address_postal_code", v.validate_postal_code, country)
            elif country in v.POSTAL_CODE_COUNTRIES and country != "IE":
                self.add_error("address_postal_code", _("Enter the postal code."))
        return cleaned


# --- security -----------------------------------------------------------------------


class SecurityForm(ChangeForm):
    category = Category.SECURITY
    free_text = {"question": 200}
    change_fields = (
        "password_reset",
        "two_factor_reset",
        "sign_out_everywhere",
        "question",
        "answer",
    )

    password_reset = forms.BooleanField(
        label=_("Send a password reset link"),
        required=False,
        help_text=_("The desk never sees or sets the password: the customer chooses it."),
    )
    two_factor_reset = forms.BooleanField(
        label=_("Reset two-factor sign-in"),
        required=False,
        help_text=_("Removes the customer's second factor; they enrol again at next sign-in."),
    )
    sign_out_everywhere = forms.BooleanField(
        label=_("Sign the customer out everywhere"), required=False
    )
    question_target = _target_field(_("Security question to change"))
    question = _free_text(_("Question"), 200)
    answer = forms.CharField(
        label=_("Answer"),
        max_length=200,
        required=False,
        strip=True,
        widget=forms.PasswordInput(attrs=OFF, render_value=False),
        help_text=_("Type it as the customer says it; only a salted hash is kept."),
    )

    def setup(self):
        questions = rows_of(self.customer, "security_questions", m.SecurityQuestion).order_by("pk")
        self.fields["question_target"].choices = self._target_choices(
            questions, lambda q: q.question, _("Add a new question")
        )

    def layout(self):
        return Layout(
            Fieldset(
                _("Commands to the customer's account"),
                "password_reset",
                "two_factor_reset",
                "sign_out_everywhere",
            ),
            Fieldset(_("Security question"), "question_target", "question", "answer"),
        )

    def clean_answer(self):
        answer = self.cleaned_data.get("answer")
        if answer and not normalise_answer(answer):
            raise ValidationError(_("An answer needs at least one letter or digit."), code="answer")
        return answer

    def clean(self):
        cleaned = super().clean()
        # Without the customer there is nothing to check yet: the agent who matches the
        # request to a customer sees the command on the ticket.
        if cleaned.get("two_factor_reset") and self.customer is not None:
            security = section_of(self.customer, "security")
            if security is None or not security.two_factor_enabled:
                self.add_error(
                    "two_factor_reset", _("The customer has no two-factor sign-in to reset.")
                )
        new_question = cleaned.get("question_target") is None
        if new_question and bool(cleaned.get("question")) != bool(cleaned.get("answer")):
            missing = "answer" if cleaned.get("question") else "question"
            if missing not in self.errors:
                self.add_error(missing, _("A new security question needs both parts."))
        if not new_question and cleaned.get("question") and not cleaned.get("answer"):
            self.add_error("answer", _("A changed question needs the customer's new answer."))
        return cleaned


# --- preferences --------------------------------------------------------------------

_YES_NO = [(True, _("Yes")), (False, _("No"))]


class PreferencesForm(ChangeForm):
    """Each toggle is Yes / No; a toggle not sent (an API caller) is left as it is."""

    category = Category.PREFERENCES
    names = (
        "email_notifications",
        "sms_notifications",
        "marketing_email",
        "marketing_sms",
        "confirm_by_email",
        "confirm_by_sms",
        "confirm_in_app",
        "auto_renew",
    )

    def setup(self):
        row = section_of(self.customer, "preferences")
        for name in self.names:
            model_field = m.Preferences._meta.get_field(name)
            self.fields[name] = forms.NullBooleanField(
                label=capfirst(str(model_field.verbose_name)),  # "SMS", never "Sms"
                required=False,
                widget=forms.RadioSelect(choices=_YES_NO),
                initial=getattr(row, name) if row is not None else model_field.default,
            )

    def layout(self):
        return Layout(
            Fieldset(
                _("Notifications"),
                *(InlineRadios(n) for n in self.names[:4]),
            ),
            Fieldset(
                _("Confirmations and renewal"),
                *(InlineRadios(n) for n in self.names[4:]),
            ),
        )

    def clean(self):
        cleaned = super().clean()
        channels = ("confirm_by_email", "confirm_by_sms", "confirm_in_app")
        # A toggle left out (None) keeps its current value.
        if not any(
            self.fields[name].initial if cleaned.get(name) is None else cleaned[name]
            for name in channels
        ):
            raise ValidationError(
                _("Keep at least one way to confirm changes to the customer."),
                code="no_channel",
            )
        return cleaned


# --- linked accounts ----------------------------------------------------------------


class LinkedAccountsForm(ChangeForm):
    category = Category.LINKED_ACCOUNTS

    unlink = forms.TypedMultipleChoiceField(
        label=_("Accounts to unlink"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Linking a new account is the customer's own sign-in; the desk only unlinks."),
        error_messages={"required": _("Choose at least one account to unlink.")},
    )

    def setup(self):
        policy = m.LinkedAccount.field_policies["external_id"]
        self.fields["unlink"].choices = [
            (a.pk, f"{a.get_provider_display()} ({display(a.external_id, policy)})")
            for a in rows_of(self.customer, "linked_accounts", m.LinkedAccount).order_by("provider")
        ]
        if not self.fields["unlink"].choices:
            self.fields["unlink"].help_text = _("This customer has no linked accounts.")
        if self.customer is None:
            # No customer named: there is no account to choose from.
            self.fields["unlink"].error_messages["required"] = _(
                "Name the customer to unlink an account."
            )


# --- billing ------------------------------------------------------------------------


def _months():
    return [("", "—")] + [(n, f"{n:02d}") for n in range(1, 13)]


def _years(year: int):
    return [("", "—")] + [(y, str(y)) for y in range(year, year + 21)]


EXPIRY_YEARS = (2000, 2100)


class ExpiryYearField(forms.TypedChoiceField):
    """The page offers this year and the next twenty; a client system may send any year
    of the card era, and a past one is an expired card (said by BillingForm.clean)."""

    def valid_value(self, value) -> bool:
        try:
            return EXPIRY_YEARS[0] <= int(value) <= EXPIRY_YEARS[1]
        except (TypeError, ValueError):
            return False


class BillingForm(ChangeForm):
    """A new (or replacement) card and/or bank account. There is no security-code field:
    the desk never takes a CVV (PCI DSS 3.3.1)."""

    category = Category.BILLING
    free_text = {"card_holder_name": 100, "account_holder": 100, "bank_name": 100}
    change_fields = ("card_number", "iban")
    normalisers = {"iban": v.validate_iban}

    card_number = forms.CharField(
        label=_("Card number"),
        max_length=40,
        required=False,
        widget=UnechoedTextInput(
            attrs={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}
        ),
        help_text=_("Goes straight to the vault; only the brand, BIN and last four are kept."),
    )
    card_exp_month = forms.TypedChoiceField(
        label=_("Expiry month"), required=False, coerce=int, empty_value=None
    )
    card_exp_year = ExpiryYearField(
        label=_("Expiry year"), required=False, coerce=int, empty_value=None
    )
    card_holder_name = _free_text(_("Name on card"), 100)
    card_billing_address = _target_field(_("Billing address"))
    card_target = _target_field(_("Replaces"))
    card_make_default = forms.BooleanField(label=_("Make it the default card"), required=False)

    iban = forms.CharField(
        label=_("IBAN"),
        max_length=64,
        required=False,
        widget=UnechoedTextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    account_holder = _free_text(_("Account holder"), 100)
    bank_name = _free_text(_("Bank"), 100)
    bank_target = _target_field(_("Replaces"))
    bank_make_default = forms.BooleanField(
        label=_("Make it the default bank account"), required=False
    )

    def setup(self):
        c = self.customer
        self.fields["card_exp_month"].choices = _months()
        self.fields["card_exp_year"].choices = _years(self.today.year)
        self.fields["card_target"].choices = self._target_choices(
            rows_of(c, "cards", m.PaymentCard).order_by("-is_default", "pk"),
            lambda card: f"{card.brand.capitalize()} {card.display_number}",
            _("Add a new card"),
        )
        self.fields["bank_target"].choices = self._target_choices(
            rows_of(c, "bank_accounts", m.BankAccount).order_by("-is_default", "pk"),
            lambda account: account.iban_masked,
            _("Add a new bank account"),
        )
        line = m.PostalAddress.field_policies["line1"]
        code = m.PostalAddress.field_policies["postal_code"]
        self.fields["card_billing_address"].choices = [
            ("", _("None")),
            *(
                (str(a.pk), f"{display(a.line1, line)}, {display(a.postal_code, code)}")
                for a in rows_of(c, "addresses", m.PostalAddress).order_by("-is_primary", "pk")
            ),
        ]

    def layout(self):
        return Layout(
            Fieldset(
                _("Payment card"),
                "card_number",
                "card_exp_month",
                "card_exp_year",
                "card_holder_name",
                "card_billing_address",
                "card_target",
                "card_make_default",
            ),
            Fieldset(
                _("Bank account"),
                "iban",
                "account_holder",
                "bank_name",
                "bank_target",
                "bank_make_default",
            ),
        )

    def clean_card_number(self):
        number = self.cleaned_data.get("card_number")
        return v.validate_card(number) if number else number

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("card_number") or "card_number" in self.errors:
            month, year = cleaned.get("card_exp_month"), cleaned.get("card_exp_year")
            if month is None:
                self.add_error("card_exp_month", _("Choose the expiry month."))
            if year is None:
                self.add_error("card_exp_year", _("Choose the expiry year."))
            today = self.today
            if month and year and (year, month) < (today.year, today.month):
                self.add_error("card_exp_month", _("This card has expired."))
            if not cleaned.get("card_holder_name") and "card_holder_name" not in self.errors:
                self.add_error("card_holder_name", _("Enter the name on the card."))
        if (
            cleaned.get("iban")
            and not cleaned.get("account_holder")
            and "account_holder" not in self.errors
        ):
            self.add_error("account_holder", _("Enter the account holder's name."))
        return cleaned


# --- language and region ------------------------------------------------------------

_LOCALE = re.compile(r"([a-zA-Z]{2,3})(?:[-_]([a-zA-Z]{2}|[0-9]{3}))?")


def normalise_locale(value: str) -> str:
    """A BCP 47 language-region tag: "en_gb" -> "en-GB"."""
    match = _LOCALE.fullmatch((value or "").strip())
    if match is None:
        raise ValidationError(_("Enter a locale such as en-GB or es-ES."), code="invalid")
    language, region = match.group(1).lower(), match.group(2)
    return f"{language}-{region.upper()}" if region else language


class LanguageRegionForm(ChangeForm):
    category = Category.LANGUAGE_REGION

    language = forms.ChoiceField(label=_("Language"), required=False)
    locale = forms.CharField(
        label=_("Locale"),
        max_length=16,
        required=False,
        help_text=_("How dates and numbers are written, such as en-GB."),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)
    country = CountryField(label=_("Country"), required=False)

    def setup(self):
        row = section_of(self.customer, "language_region")
        self.fields["language"].choices = [
            NO_CHANGE,
            *((c, _(n)) for c, n in global_settings.LANGUAGES),
        ]
        self.fields["time_zone"].choices = [NO_CHANGE, *_time_zones()]
        self.fields["country"].choices = [NO_CHANGE, *country_choices()]
        if row is not None:
            for name in ("language", "locale", "time_zone", "country"):
                self.fields[name].initial = getattr(row, name)

    normalisers = {"locale": normalise_locale}


# --- organisation -------------------------------------------------------------------


class OrganisationForm(ChangeForm):
    category = Category.ORGANISATION
    free_text = {
        "business_name": 200,
        "registration_number": 32,
        "billing_entity": 200,
        "job_title": 100,
        "department": 100,
    }
    change_fields = (
        "business_name",
        "tax_id",
        "vat_number",
        "registration_number",
        "billing_entity",
        "job_title",
        "department",
    )
    normalisers = {"vat_number": v.validate_vat}

    business_name = _free_text(_("Business name"), 200)
    tax_id = forms.CharField(
        label=_("Tax ID"), max_length=64, required=False, widget=forms.TextInput(OFF)
    )
    tax_id_country = CountryField(
        label=_("Tax ID country"), required=False, choices=_named_choices(v.TAX_IDS, blank=True)
    )
    vat_number = forms.CharField(
        label=_("VAT number"),
        max_length=64,
        required=False,
        widget=forms.TextInput(OFF),
        help_text=_("With its country code, such as DE136695976."),
    )
    registration_number = _free_text(_("Registration number"), 32)
    billing_entity = _free_text(_("Billing entity"), 200)
    job_title = _free_text(_("Job title"), 100)
    department = _free_text(_("Department"), 100)

    def setup(self):
        row = section_of(self.customer, "organisation")
        for name in self.change_fields:
            field = self.fields[name]
            field.help_text = _help_with_now(field.help_text, _now(m.Organisation, row, name))
        if self.country in v.TAX_IDS:
            self.fields["tax_id_country"].initial = self.country

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("tax_id"):
            country = cleaned.get("tax_id_country")
            if not country:
                self.add_error("tax_id_country", _("Choose the country of the tax ID."))
            else:
                self._checked("tax_id", v.validate_tax_id, country)
        return cleaned


# --- avatar -------------------------------------------------------------------------


class AvatarForm(ChangeForm):
    category = Category.AVATAR

    image = forms.FileField(
        label=_("New picture"),
        widget=forms.FileInput(attrs={"accept": ",".join(v.AVATAR_FORMATS.values())}),
        validators=[v.validate_avatar],
        help_text=_(
            "JPEG, PNG or WebP, at most 2 MB and 4096 pixels a side. "
            "It is shown once a supervisor approves it."
        ),
    )


FORMS: dict[str, type[ChangeForm]] = {
    Category.PERSONAL: PersonalForm,
    Category.CONTACT: ContactForm,
    Category.SECURITY: SecurityForm,
    Category.PREFERENCES: PreferencesForm,
    Category.LINKED_ACCOUNTS: LinkedAccountsForm,
    Category.BILLING: BillingForm,
    Category.LANGUAGE_REGION: LanguageRegionForm,
    Category.ORGANISATION: OrganisationForm,
    Category.AVATAR: AvatarForm,
}


def form_for(
    category: str,
    *,
    customer: m.Customer | None,
    client: Client | None = None,
    data=None,
    files=None,
) -> ChangeForm:
    """The change form of `category` for `customer`, bound when `data` is given.

    `customer=None` with `client=` is a request whose customer is not known yet (an API
    caller's): the same rules, with nothing known of the profile."""
    try:
        form_class = FORMS[category]
    except KeyError:
        raise ValueError(f"Unknown category {category!r}") from None
    return form_class(data, files, customer=customer, client=client)
