"""Identity verification (docs/design.md §4): one-time codes, attempts kept as evidence,
per-customer lock-outs and identity documents.

Nothing here holds a secret in clear: an OTP is kept as a salted HMAC of the code (keyed
with SECRET_KEY), a security answer is never stored at all (only whether the round
passed), and `Attempt.detail` carries ids and counts, never what was typed.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .methods import label


class Purpose(models.TextChoices):
    IDENTITY = "identity", _("Caller's identity")
    NEW_CONTACT = "new_contact", _("New contact (dual confirmation)")


class OtpChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class Method(models.TextChoices):
    """The codes of the built-in methods, as constants. Not the field's choices: the
    methods are plug-ins (verification.methods), and a new one needs no migration."""

    OTP = "otp", _("One-time code")
    QUESTIONS = "questions", _("Security questions")
    DOCUMENT = "document", _("Identity document")


class Result(models.TextChoices):
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")


class OtpChallenge(models.Model):
    """One code sent to one destination: a contact on file, or the new value of a contact
    change item (dual confirmation)."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="otp_challenges"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="otp_challenges"
    )
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    channel = models.CharField(max_length=8, choices=OtpChannel.choices)
    email = models.ForeignKey(
        "customers.EmailAddress", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    phone = models.ForeignKey(
        "customers.PhoneNumber", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    change_item = models.ForeignKey(
        "tickets.ChangeItem", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The new e-mail or phone being proven (the same value the change item holds).
    new_value = models.CharField(max_length=254, blank=True)
    # Where it went, for rate limits: "email:12", "phone:7" or "new:<value>".
    destination = models.CharField(max_length=300)
    code_hash = models.CharField(max_length=200)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    wrong_tries = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["destination", "created_at"], name="otp_destination_recent"),
            models.Index(fields=["ticket", "-created_at"], name="otp_ticket_recent"),
        ]

    def __str__(self) -> str:
        return f"OTP {self.pk} ({self.purpose}, {self.channel})"


class Attempt(models.Model):
    """Evidence: one verification attempt on a ticket, passed or failed."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="verification_attempts"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="verification_attempts"
    )
    # A registered method's code (verification.methods): any, no choices to migrate.
    method = models.CharField(max_length=10)
    purpose = models.CharField(max_length=12, choices=Purpose.choices, default=Purpose.IDENTITY)
    result = models.CharField(max_length=8, choices=Result.choices)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField()
    challenge = models.ForeignKey(
        OtpChallenge, on_delete=models.SET_NULL, null=True, blank=True, related_name="attempts"
    )
    # Ids and counts only: never a code, an answer or a document's content.
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["ticket", "result", "at"], name="attempt_ticket_result"),
            models.Index(fields=["customer", "result", "at"], name="attempt_customer_result"),
            # The dashboards' daily rebuild: one day's attempts (dashboards/build.py).
            models.Index(fields=["at"], name="attempt_at"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.result} at {self.at:%Y-%m-%d %H:%M}"

    def get_method_display(self) -> str:
        """The method's name from the registry, wherever a pass is shown."""
        return label(self.method)


class Lock(models.Model):
    """Too many failures: no verification for this customer until `locked_until`."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="verification_locks"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    locked_until = models.DateTimeField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["-locked_until"]
        indexes = [
            models.Index(fields=["customer", "locked_until"], name="lock_customer_until"),
            # The dashboards' daily rebuild: one day's lock-outs (dashboards/build.py).
            models.Index(fields=["created_at"], name="lock_created"),
        ]

    def __str__(self) -> str:
        return f"verification lock of customer {self.customer_id} until {self.locked_until}"


class DocumentType(models.TextChoices):
    PASSPORT = "passport", _("Passport")
    ID_CARD = "id_card", _("National identity card")
    DRIVING_LICENCE = "driving_licence", _("Driving licence")
    COMPANY_REGISTRATION = "company_registration", _("Company registration document")


class DocumentCheck(models.Model):
    """An identity document the agent checked. The file lives in private storage and is
    served only through the desk; it is deleted after the retention period."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="document_checks"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="document_checks"
    )
    document_type = models.CharField(_("document type"), max_length=24, choices=DocumentType)
    file = models.FileField(upload_to="verification/documents/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    # SHA-256 of the file as uploaded: the same document shown for two customers is a
    # fraud signal (policies.risk), and the hash outlives the file's retention.
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    # Pixel size of an image, or the first page's size in points of a PDF.
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    photo_matches = models.BooleanField(_("the photo matches the caller"), default=False)
    name_matches = models.BooleanField(_("the name matches the profile"), default=False)
    not_expired = models.BooleanField(_("the document has not expired"), default=False)
    type_confirmed = models.BooleanField(_("the document is of the type chosen"), default=False)
    result = models.CharField(max_length=8, choices=Result.choices)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    checked_at = models.DateTimeField()
    file_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-checked_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_document_type_display()} ({self.result})"


class Waiver(models.Model):
    """Compliance waived identity verification for a rollback ticket (docs/design.md §7): the
    customer is not on the line, so nobody can answer a code; who, when and why."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="verification_waiver"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"verification waiver of ticket {self.ticket_id}"
