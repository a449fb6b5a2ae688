"""The defaults of docs/design.md §5, created for every client (desk admins edit them later).

Whatever creates a client calls `policies_ensure_defaults` (the client admin does);
migration 0003 did it for the clients that existed before. `policy_for` still creates
missing policies on first use, as a safety net.
"""

import contextlib
import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Max
from simple_history.utils import bulk_create_with_history

from .categories import AssuranceLevel as AL
from .categories import Category
from .models import BusinessHours, Policy

DEFAULT_POLICIES: dict[str, dict] = {
    Category.PERSONAL: {
        "verification_level": AL.AL2,
        "stricter_fields": [
            "personaldetails.legal_name",
            "personaldetails.date_of_birth",
            "personaldetails.national_id",
        ],
        "approval_fields": [
            "personaldetails.date_of_birth",
            "personaldetails.national_id",
        ],
        "sla_minutes": 240,
    },
    Category.CONTACT: {
        "verification_level": AL.AL2,
        "dual_confirmation": True,
        "sla_minutes": 120,
    },
    Category.SECURITY: {
        "verification_level": AL.AL2,
        "approval_fields": ["securitysettings.two_factor_reset"],
        "sla_minutes": 60,
        "cooling_off_hours": 24,
    },
    Category.PREFERENCES: {
        "verification_level": AL.AL1,
        "self_service": True,
        "sla_minutes": 480,
    },
    Category.LANGUAGE_REGION: {
        "verification_level": AL.AL1,
        "self_service": True,
        "sla_minutes": 480,
    },
    Category.LINKED_ACCOUNTS: {
        "verification_level": AL.AL2,
        "sla_minutes": 240,
    },
    Category.BILLING: {
        "verification_level": AL.AL2,
        "approval_tiers": 1,
        "sla_minutes": 120,
        "cooling_off_hours": 24,
    },
    Category.ORGANISATION: {
        "verification_level": AL.AL3,
        "approval_tiers": 2,
        "documents_required": True,
        "sla_minutes": 960,
    },
    Category.AVATAR: {
        "verification_level": AL.AL1,
        "approval_tiers": 1,
        "sla_minutes": 480,
    },
}

DEFAULT_HOURS = (dt.time(8, 0), dt.time(20, 0))  # Monday to Friday, client time
DEFAULTS_REASON = "default policy (DESIGN 5)"


@transaction.atomic
def policies_ensure_defaults(*, client, by=None) -> list[Policy]:
    """Create the missing policies of `client`; return the ones created.

    A client set up for the first time (no policy yet) and without business hours also
    gets office hours, Monday to Friday 08:00-20:00. Later calls leave the calendar
    alone: a client whose hours were all removed works round the clock.
    """
    existing = set(Policy.objects.filter(client=client).values_list("category", flat=True))
    missing = [
        Policy(client=client, category=category, **values)
        for category, values in DEFAULT_POLICIES.items()
        if category not in existing
    ]
    user = by if getattr(by, "pk", None) else None
    if missing:
        bulk_create_with_history(
            missing, Policy, default_user=user, default_change_reason=DEFAULTS_REASON
        )
    if not existing and not BusinessHours.objects.filter(client=client).exists():
        bulk_create_with_history(
            [
                BusinessHours(
                    client=client, weekday=day, opens=DEFAULT_HOURS[0], closes=DEFAULT_HOURS[1]
                )
                for day in range(5)
            ],
            BusinessHours,
            default_user=user,
            default_change_reason=DEFAULTS_REASON,
        )
    return missing


def policy_for(*, client, category: str) -> Policy:
    """The policy of `client` for `category`; on a page that asked for it (policy_memo),
    read once through that Client instance."""
    memo = _page_policies(client)
    if memo is None:
        return _policy_read(client=client, category=category)
    policy = memo.get(category)
    if policy is None:
        # Missing when the page read them (a client set up before its defaults): created
        # now, and the page's snapshot read again so that it holds every row there is.
        policy = _policy_read(client=client, category=category)
        client._policies_read = None
        _page_policies(client)
    return policy


def longest_cooling_off(client) -> int:
    """The longest cooling-off any of `client`'s policies sets (0 when none does); on a
    page that asked for it (policy_memo), from the policies it read."""
    memo = _page_policies(client)
    if memo is None:
        longest = Policy.objects.filter(client=client).aggregate(hours=Max("cooling_off_hours"))[
            "hours"
        ]
        return longest or 0
    return max((policy.cooling_off_hours for policy in memo.values()), default=0)


def policy_memo(client) -> None:
    """A read-only page about one ticket asks several rules (apply, submit, verify again,
    the panels) and each reads the ticket's policy: from now on `policy_for` keeps what it
    reads through this Client instance on it, so the page reads each policy once. Only
    for an instance the page fetched itself: a service fetches its own under lock."""
    client._policies_read = None  # read at the first ask: every category in one query


def _page_policies(client) -> dict[str, Policy] | None:
    """The page's policies of `client` by category (None without policy_memo): at the
    first ask, all of them in one read (a client has one a category), so that the ticket's
    own and the longest cooling-off (`longest_cooling_off`) cost one query together."""
    if not hasattr(client, "_policies_read"):
        return None
    memo = client._policies_read
    if memo is None:
        memo = client._policies_read = {p.category: p for p in Policy.objects.filter(client=client)}
    return memo


def _policy_read(*, client, category: str) -> Policy:
    policy = Policy.objects.filter(client=client, category=category).first()
    if policy is None:
        # IntegrityError: another request created them at the same moment.
        with contextlib.suppress(IntegrityError):
            policies_ensure_defaults(client=client)
        policy = Policy.objects.get(client=client, category=category)
    return policy
