"""Tenancy: a Client is a business the BPO serves; staff are members of one or more."""

import re
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a time zone, e.g. Europe/London."), params={"value": value}
        )


def validate_hex_colour(value: str) -> None:
    """A colour as the portal's style sheet writes it: #rrggbb, nothing else."""
    if not HEX_COLOUR.fullmatch(value or ""):
        raise ValidationError(
            _("A colour as #rrggbb, e.g. #0b5394."), code="colour", params={"value": value}
        )


HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


class Client(models.Model):
    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    # Prefix of this client's customer numbers, e.g. "NWE" gives NWE-0001234.
    customer_prefix = models.CharField(_("customer number prefix"), max_length=6, unique=True)
    country = models.CharField(_("home country"), max_length=2, help_text=_("ISO 3166-1 alpha-2"))
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The customer portal's brand colour (its header and buttons; the text on it is
    # black or white, whichever contrasts more: portal/branding.py).
    brand_colour = models.CharField(
        _("brand colour"),
        max_length=7,
        default="#1f4e79",
        validators=[validate_hex_colour],
        help_text=_("#rrggbb, used on the customer portal."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("client")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A staff member may work on this client's customers (their role says how)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "client"], name="membership_unique_user_client")
        ]
        verbose_name = _("membership")

    def __str__(self) -> str:
        return f"{self.user} @ {self.client}"
