"""The defaults of DESIGN 5, created for every client (desk admins edit them later)."""

import datetime as dt

from django.db import transaction

from .categories import AssuranceLevel as AL
from .categories import Category
from .models import BusinessHours, Policy

DEFAULT_POLICIES: dict[str, dict] = {
    Category.PERSONAL: dict(
        verification_level=AL.AL2,
        stricter_fields=["legal_name", "date_of_birth", "national_id"],
        approval_fields=["date_of_birth", "national_id"],
        sla_minutes=240,
    ),
    Category.CONTACT: dict(verification_level=AL.AL2, dual_confirmation=True, sla_minutes=120),
    Category.SECURITY: dict(
        verification_level=AL.AL2, approval_fields=["two_factor_method"], sla_minutes=60,
        cooling_off_hours=24,
    ),
    Category.PREFERENCES: dict(verification_level=AL.AL1, self_service=True, sla_minutes=480),
    Category.LANGUAGE_REGION: dict(verification_level=AL.AL1, self_service=True, sla_minutes=480),
    Category.LINKED_ACCOUNTS: dict(verification_level=AL.AL2, sla_minutes=240),
    Category.BILLING: dict(
        verification_level=AL.AL2, approval_tiers=1, sla_minutes=120, cooling_off_hours=24
    ),
    Category.ORGANISATION: dict(
        verification_level=AL.AL3, approval_tiers=2, documents_required=True, sla_minutes=960
    ),
    Category.AVATAR: dict(verification_level=AL.AL1, approval_tiers=1, sla_minutes=480),
}

DEFAULT_HOURS = (dt.time(8, 0), dt.time(20, 0))  # Monday to Friday, client time


@transaction.atomic
def policies_ensure_defaults(*, client) -> None:
    """Create any missing policy and, for a client with none, office hours Mon-Fri."""
    existing = set(Policy.objects.filter(client=client).values_list("category", flat=True))
    for category, values in DEFAULT_POLICIES.items():
        if category not in existing:
            Policy.objects.create(client=client, category=category, **values)
    if not BusinessHours.objects.filter(client=client).exists():
        for weekday in range(5):
            BusinessHours.objects.create(
                client=client, weekday=weekday, opens=DEFAULT_HOURS[0], closes=DEFAULT_HOURS[1]
            )


def policy_for(*, client, category: str) -> Policy:
    policy = Policy.objects.filter(client=client, category=category).first()
    if policy is None:
        policies_ensure_defaults(client=client)
        policy = Policy.objects.get(client=client, category=category)
    return policy
