"""The change categories: one per profile section (docs/design.md §2, §5)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    PERSONAL = "personal", _("Personal details")
    CONTACT = "contact", _("Contact details")
    SECURITY = "security", _("Security")
    PREFERENCES = "preferences", _("Preferences")
    LINKED_ACCOUNTS = "linked_accounts", _("Linked accounts")
    BILLING = "billing", _("Billing")
    LANGUAGE_REGION = "language_region", _("Language and region")
    ORGANISATION = "organisation", _("Organisation")
    AVATAR = "avatar", _("Avatar")


class AssuranceLevel(models.IntegerChoices):
    AL1 = 1, _("AL1: one factor (OTP or security questions)")
    AL2 = 2, _("AL2: OTP and security questions")
    AL3 = 3, _("AL3: AL2 and an identity document")
