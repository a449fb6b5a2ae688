"""Per-client policy per change category (docs/design.md §5), and the client's business calendar."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .categories import AssuranceLevel, Category


class Policy(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="policies")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    verification_level = models.PositiveSmallIntegerField(
        _("verification level"), choices=AssuranceLevel.choices
    )
    # Change-item fields ("personaldetails.legal_name", as ChangeItem.field holds them)
    # whose change needs a higher level than the category's (e.g. legal name: AL3).
    stricter_fields = models.JSONField(
        _("fields needing AL3"),
        default=list,
        blank=True,
        help_text=_("Field names whose change needs AL3."),
    )
    approval_tiers = models.PositiveSmallIntegerField(
        _("approval tiers"),
        default=0,
        validators=[MaxValueValidator(2)],
        help_text=_("0: none; 1: supervisor; 2: then compliance."),
    )
    # Change-item fields that need tier-1 approval even when the category needs none
    # (DOB, national ID, a 2FA reset).
    approval_fields = models.JSONField(_("fields needing approval"), default=list, blank=True)
    approvers_per_tier = models.PositiveSmallIntegerField(
        _("approvers needed per tier"), default=1, validators=[MinValueValidator(1)]
    )
    dual_confirmation = models.BooleanField(_("new contact must be proven"), default=False)
    documents_required = models.BooleanField(_("documents required"), default=False)
    sla_minutes = models.PositiveIntegerField(
        _("SLA (business minutes)"), default=240, validators=[MinValueValidator(1)]
    )
    # How long each approval tier may take, counted from when the tier starts waiting.
    # Also a database default: rows written without it (older code) get it too.
    approval_sla_minutes = models.PositiveIntegerField(
        _("approval SLA a tier (business minutes)"),
        default=60,
        db_default=60,
        validators=[MinValueValidator(1)],
    )
    cooling_off_hours = models.PositiveIntegerField(
        _("cooling-off after a contact change (hours)"), default=0
    )
    self_service = models.BooleanField(_("open to customer self-service"), default=False)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "category"], name="policy_one_per_category")
        ]
        verbose_name = _("policy")
        verbose_name_plural = _("policies")

    def __str__(self) -> str:
        return f"{self.client} · {self.get_category_display()}"

    def clean(self) -> None:
        for name in ("stricter_fields", "approval_fields"):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValidationError({name: _("A list of field names.")})


class BusinessHours(models.Model):
    """One opening period of a client's week, in the client's time zone."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="business_hours"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"), help_text=_("00:00 means midnight at the day's end."))
    history = HistoricalRecords()

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    def clean(self) -> None:
        if self.opens is None or self.closes is None:
            return
        if self.closes != dt.time(0) and self.closes <= self.opens:
            raise ValidationError(
                {"closes": _("Closing time must be after opening time (00:00: midnight).")}
            )


class Holiday(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "date"], name="holiday_one_per_day")
        ]
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
