"""The profile of record (docs/design.md §2): a customer of one client and its nine sections.

Every model is tracked by django-simple-history (the staff user and a change reason on
each row) and declares a sensitivity policy for each of its fields in `field_policies`.
Tracked models are written with save() or the *_with_history bulk helpers, never with
QuerySet.update(), so that history misses nothing.

No field here can hold a card number: cards and bank accounts are vault tokens plus the
few digits PCI DSS allows to be shown.
"""

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from profiledesk.clients.scoping import ClientScopedQuerySet
from profiledesk.privacy.sensitivity import (
    PERSONAL,
    PUBLIC,
    SECRET,
    Style,
    personal,
    sensitive,
)


class CustomerQuerySet(ClientScopedQuerySet["Customer"]):
    client_field = "client"


class SectionQuerySet(ClientScopedQuerySet[Any]):  # abstract Section: any section model
    client_field = "customer__client"


class Customer(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="customers")
    number = models.CharField(_("customer number"), max_length=20)
    # Lower-cased, accent-free "legal preferred" name, for search.
    search_name = models.CharField(max_length=400, editable=False)
    is_flagged = models.BooleanField(_("flagged"), default=False)
    flag_reason = models.CharField(_("flag reason"), max_length=200, blank=True)
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True)
    frozen_reason = models.CharField(_("freeze reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("customer since"))
    history = HistoricalRecords()
    # Read by simple-history when the row is saved: who made the change and why (set by
    # the services; not columns).
    _history_user: AbstractBaseUser | None
    _change_reason: str

    objects = CustomerQuerySet.as_manager()

    field_policies = {
        "client": PUBLIC,
        "number": PUBLIC,
        "search_name": PERSONAL,
        "is_flagged": PUBLIC,
        "flag_reason": PUBLIC,
        "frozen_at": PUBLIC,
        "frozen_reason": PUBLIC,
        "created_at": PUBLIC,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "number"], name="customer_unique_number"),
        ]
        indexes = [
            models.Index(fields=["client", "search_name"], name="customer_client_name"),
        ]
        permissions = [("reveal_sensitive", "Can reveal a customer's masked details (audited)")]

    def __str__(self) -> str:
        return self.number


class Section(models.Model):
    """Base of every profile section: which customer it belongs to, and history."""

    objects = SectionQuerySet.as_manager()
    # Read by simple-history when a concrete section is saved: who made the change and why (set by
    # the services; not columns).
    _history_user: AbstractBaseUser | None
    _change_reason: str
    # Each concrete section's HistoricalRecords manager (simple-history ships no types).
    history: Any
    # Each concrete section's `customer` (a foreign key or one-to-one, named its own way).
    customer_id: int

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} of customer {self.customer_id}"


class PersonalDetails(Section):
    class Gender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        NON_BINARY = "non_binary", _("Non-binary")
        UNDISCLOSED = "undisclosed", _("Prefers not to say")

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="personal")
    legal_name = models.CharField(_("legal name"), max_length=200)
    preferred_name = models.CharField(_("preferred name"), max_length=100, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=12, choices=Gender.choices, blank=True)
    national_id = models.CharField(_("national ID"), max_length=32, blank=True)
    national_id_country = models.CharField(_("national ID country"), max_length=2, blank=True)
    history = HistoricalRecords()

    field_policies = {
        "customer": PUBLIC,
        "legal_name": PERSONAL,
        "preferred_name": PERSONAL,
        "date_of_birth": sensitive(Style.DATE),
        "gender": PERSONAL,
        "national_id": sensitive(Style.LAST4),
        "national_id_country": PUBLIC,
    }

    class Meta:
        verbose_name = _("personal details")
        verbose_name_plural = _("personal details")


class ContactPoint(Section):
    is_primary = models.BooleanField(_("primary"), default=False)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    class Meta:
        abstract = True


class EmailAddress(ContactPoint):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="emails")
    # Stored lower-cased (normalised by the form/service) so that search is an index hit.
    email = models.EmailField(_("e-mail address"), db_index=True)
    history = HistoricalRecords()

    field_policies = {
        "customer": PUBLIC,
        "email": personal(Style.EMAIL),
        "is_primary": PUBLIC,
        "verified_at": PUBLIC,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=models.Q(is_primary=True), name="email_one_primary"
            )
        ]
        verbose_name = _("e-mail address")


class PhoneNumber(ContactPoint):
    class Kind(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        LANDLINE = "landline", _("Landline")
        WORK = "work", _("Work")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("phone number (E.164)"), max_length=16, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MOBILE)
    history = HistoricalRecords()

    field_policies = {
        "customer": PUBLIC,
        "number": personal(Style.PHONE),
        "kind": PUBLIC,
        "is_primary": PUBLIC,
        "verified_at": PUBLIC,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=models.Q(is_primary=True), name="phone_one_primary"
            )
        ]
        verbose_name = _("phone number")


class PostalAddress(ContactPoint):
    class Kind(models.TextChoices):
        HOME = "home", _("Home")
        BILLING = "billing", _("Billing")
        SHIPPING = "shipping", _("Shipping")
        WORK = "work", _("Work")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.HOME)
    line1 = models.CharField(_("address line 1"), max_length=200)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2)
    history = HistoricalRecords()

    field_policies = {
        "customer": PUBLIC,
        "kind": PUBLIC,
        "line1": personal(Style.ADDRESS),
        "line2": personal(Style.ADDRESS),
        "city": PERSONAL,
        "region": PERSONAL,
        "postal_code": personal(Style.POSTCODE),
        "country": PUBLIC,
        "is_primary": PUBLIC,
        "verified_at": PUBLIC,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=models.Q(is_primary=True), name="address_one_primary"
            )
        ]
        verbose_name = _("postal address")
        verbose_name_plural = _("postal addresses")


class SecuritySettings(Section):
    """What the desk knows of the customer's sign-in security. It never sees passwords."""

    class Method(models.TextChoices):
        NONE = "none", _("None")
        APP = "app", _("Authenticator app")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="security")
    two_factor_method = models.CharField(
        _("two-factor method"), max_length=8, choices=Method.choices, default=Method.NONE
    )
    last_password_reset_at = models.DateTimeField(_("last password reset"), null=True, blank=True)
    # When the desk asked the client's identity system to reset two-factor / end every
    # session (apply/services.py): the profile shows what the applied commands did.
    two_factor_reset_at = models.DateTimeField(_("last two-factor reset"), null=True, blank=True)
    signed_out_everywhere_at = models.DateTimeField(
        _("last sign-out everywhere"), null=True, blank=True
    )
    history = HistoricalRecords()

    field_policies = {
        "customer": PUBLIC,
        "two_factor_method": PUBLIC,
        "last_password_reset_at": PUBLIC,
        "two_factor_reset_at": PUBLIC,
        "signed_out_everywhere_at": PUBLIC,
    }

    class Meta:
        verbose_name = _("security settings")
        verbose_name_plural = _("security settings")

    @property
    def two_factor_enabled(self) -> bool:
        return self.two_factor_method != self.Method.NONE


class SecurityQuestion(Section):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="security_questions"
    )
    question = models.CharField(_("question"), max_length=200)
    # A salted hash of the normalised answer (verification.answers); never the answer.
    answer_hash = models.CharField(max_length=200)
    set_at = models.DateTimeField(_("set at"))
    history = HistoricalRecords()

    field_policies = {
        "customer": PUBLIC,
        "question": PUBLIC,
        "answer_hash": SECRET,
        "set_at": PUBLIC,
    }

    class Meta:
        verbose_name = _("security question")


class Preferences(Section):
    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="preferences")
    email_notifications = models.BooleanField(_("service e-mails"), default=True)
    sms_notifications = models.BooleanField(_("service SMS"), default=True)
    marketing_email = models.BooleanField(_("promotional e-mails"), default=False)
    marketing_sms = models.BooleanField(_("promotional SMS"), default=False)
    confirm_by_email = models.BooleanField(_("confirm changes by e-mail"), default=True)
    confirm_by_sms = models.BooleanField(_("confirm changes by SMS"), default=False)
    confirm_in_app = models.BooleanField(_("confirm changes in the app"), default=False)
    auto_renew = models.BooleanField(_("auto-renewal"), default=True)
    history = HistoricalRecords()

    field_policies = {
        "customer": PUBLIC,
        "email_notifications": PUBLIC,
        "sms_notifications": PUBLIC,
        "marketing_email": PUBLIC,
        "marketing_sms": PUBLIC,
        "confirm_by_email": PUBLIC,
        "confirm_by_sms": PUBLIC,
        "confirm_in_app": PUBLIC,
        "auto_renew": PUBLIC,
    }

    class Meta:
        verbose_name = _("preferences")
        verbose_name_plural = _("preferences")

    @property
    def confirmation_channels(self) -> list[str]:
        """The channels changes are confirmed by, as labels ("E-mail", "SMS", "App")."""
        flags = (
            (self.confirm_by_email, _("E-mail")),
            (self.confirm_by_sms, _("SMS")),
            (self.confirm_in_app, _("App")),
        )
        return [str(label) for on, label in flags if on]


class LinkedAccount(Section):
    class Provider(models.TextChoices):
        GOOGLE = "google", "Google"
        APPLE = "apple", "Apple"
        FACEBOOK = "facebook", "Facebook"
        MICROSOFT = "microsoft", "Microsoft"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="linked_accounts")
    provider = models.CharField(_("provider"), max_length=12, choices=Provider.choices)
    external_id = models.CharField(_("external id"), max_length=128)
    linked_at = models.DateTimeField(_("linked at"))
    history = HistoricalRecords()

    field_policies = {
        "customer": PUBLIC,
        "provider": PUBLIC,
        "external_id": sensitive(Style.LAST4),
        "linked_at": PUBLIC,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "provider"], name="linked_account_one_per_provider"
            )
        ]
        verbose_name = _("linked account")


class PaymentCard(Section):
    """A card as the vault knows it: token, brand, BIN and last four. Never the number."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="cards")
    vault_token = models.CharField(max_length=64, unique=True)
    # HMAC of the number, to spot one card on two customers without keeping the number.
    fingerprint = models.CharField(max_length=64, db_index=True)
    brand = models.CharField(_("brand"), max_length=20)
    bin = models.CharField(_("BIN"), max_length=6)
    last4 = models.CharField(_("last four"), max_length=4)
    exp_month = models.PositiveSmallIntegerField(_("expiry month"))
    exp_year = models.PositiveSmallIntegerField(_("expiry year"))
    holder_name = models.CharField(_("name on card"), max_length=100)
    billing_address = models.ForeignKey(
        PostalAddress, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_default = models.BooleanField(_("default"), default=False)
    history = HistoricalRecords()

    field_policies = {
        "customer": PUBLIC,
        "vault_token": SECRET,
        "fingerprint": SECRET,
        "brand": PUBLIC,
        "bin": PUBLIC,
        "last4": PUBLIC,
        "exp_month": PUBLIC,
        "exp_year": PUBLIC,
        "holder_name": PERSONAL,
        "billing_address": PUBLIC,
        "is_default": PUBLIC,
    }

    class Meta:
        verbose_name = _("payment card")

    @property
    def display_number(self) -> str:
        return f"{self.bin[:4]} {self.bin[4:]}•• •••• {self.last4}"


class BankAccount(Section):
    """A bank account as the vault knows it: token and masked IBAN."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="bank_accounts")
    vault_token = models.CharField(max_length=64, unique=True)
    fingerprint = models.CharField(max_length=64, db_index=True)
    iban_masked = models.CharField(_("IBAN"), max_length=42)
    country = models.CharField(_("country"), max_length=2)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    account_holder = models.CharField(_("account holder"), max_length=100)
    is_default = models.BooleanField(_("default"), default=False)
    history = HistoricalRecords()

    field_policies = {
        "customer": PUBLIC,
        "vault_token": SECRET,
        "fingerprint": SECRET,
        # Already masked when stored; the full IBAN is revealed from the vault.
        "iban_masked": sensitive(Style.PREMASKED),
        "country": PUBLIC,
        "bank_name": PUBLIC,
        "account_holder": PERSONAL,
        "is_default": PUBLIC,
    }

    class Meta:
        verbose_name = _("bank account")


class LanguageRegion(Section):
    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="language_region"
    )
    language = models.CharField(_("language"), max_length=8)
    locale = models.CharField(_("locale"), max_length=16)
    time_zone = models.CharField(_("time zone"), max_length=64)
    country = models.CharField(_("country"), max_length=2)
    history = HistoricalRecords()

    field_policies = {
        "customer": PUBLIC,
        "language": PUBLIC,
        "locale": PUBLIC,
        "time_zone": PUBLIC,
        "country": PUBLIC,
    }

    class Meta:
        verbose_name = _("language and region")
        verbose_name_plural = _("language and region")


class Organisation(Section):
    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="organisation")
    business_name = models.CharField(_("business name"), max_length=200)
    tax_id = models.CharField(_("tax ID"), max_length=32, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=32, blank=True)
    registration_number = models.CharField(_("registration number"), max_length=32, blank=True)
    billing_entity = models.CharField(_("billing entity"), max_length=200, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    history = HistoricalRecords()

    field_policies = {
        "customer": PUBLIC,
        "business_name": PUBLIC,
        "tax_id": PUBLIC,
        "vat_number": PUBLIC,
        "registration_number": PUBLIC,
        "billing_entity": PUBLIC,
        "job_title": PERSONAL,
        "department": PERSONAL,
    }

    class Meta:
        verbose_name = _("organisation")


class Avatar(Section):
    class Moderation(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="avatar")
    image = models.ImageField(_("image"), upload_to="avatars/%Y/%m/")
    moderation_status = models.CharField(
        _("moderation"), max_length=10, choices=Moderation.choices, default=Moderation.PENDING
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))
    history = HistoricalRecords()

    field_policies = {
        "customer": PUBLIC,
        "image": PERSONAL,
        "moderation_status": PUBLIC,
        "uploaded_at": PUBLIC,
    }

    class Meta:
        verbose_name = _("avatar")


# The nine sections of docs/design.md §2, in the order the profile page shows them.
PROFILE_SECTIONS: dict[str, list[type[models.Model]]] = {
    "personal": [PersonalDetails],
    "contact": [EmailAddress, PhoneNumber, PostalAddress],
    "security": [SecuritySettings, SecurityQuestion],
    "preferences": [Preferences],
    "linked_accounts": [LinkedAccount],
    "billing": [PaymentCard, BankAccount],
    "language_region": [LanguageRegion],
    "organisation": [Organisation],
    "avatar": [Avatar],
}
PROFILE_MODELS: list[type[models.Model]] = [
    Customer,
    *(model for models_ in PROFILE_SECTIONS.values() for model in models_),
]


def as_section(model: object) -> type[Section]:
    """`model` (a FieldSpec's, or the model a section's foreign key points to) as the
    profile section it always is, for the type checker; anything else is a bug."""
    assert isinstance(model, type) and issubclass(model, Section), model
    return model
