"""Give every client that already exists the default policies of DESIGN 5.

New clients get them when they are created (policies_ensure_defaults); this covers the
clients created before that. The values are frozen here, as they were when this
migration was written: later changes to DEFAULT_POLICIES must not rewrite history.
Each row gets its "+" history row, as if it had been saved normally.
"""

import datetime as dt

from django.db import migrations
from django.utils import timezone

REASON = "default policy (DESIGN 5, migration)"
POLICIES = {
    "personal": {
        "verification_level": 2,
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
    "contact": {"verification_level": 2, "dual_confirmation": True, "sla_minutes": 120},
    "security": {
        "verification_level": 2,
        "approval_fields": ["securitysettings.two_factor_reset"],
        "sla_minutes": 60,
        "cooling_off_hours": 24,
    },
    "preferences": {"verification_level": 1, "self_service": True, "sla_minutes": 480},
    "language_region": {"verification_level": 1, "self_service": True, "sla_minutes": 480},
    "linked_accounts": {"verification_level": 2, "sla_minutes": 240},
    "billing": {
        "verification_level": 2,
        "approval_tiers": 1,
        "sla_minutes": 120,
        "cooling_off_hours": 24,
    },
    "organisation": {
        "verification_level": 3,
        "approval_tiers": 2,
        "documents_required": True,
        "sla_minutes": 960,
    },
    "avatar": {"verification_level": 1, "approval_tiers": 1, "sla_minutes": 480},
}
OFFICE_HOURS = (dt.time(8, 0), dt.time(20, 0))  # Monday to Friday


def _save_with_history(model, historical, obj, now) -> None:
    obj.save()
    values = {field.attname: getattr(obj, field.attname) for field in model._meta.concrete_fields}
    historical.objects.create(
        **values,
        history_date=now,
        history_type="+",
        history_change_reason=REASON,
    )


def create_defaults(apps, schema_editor):
    Client = apps.get_model("clients", "Client")
    Policy = apps.get_model("policies", "Policy")
    HistoricalPolicy = apps.get_model("policies", "HistoricalPolicy")
    BusinessHours = apps.get_model("policies", "BusinessHours")
    HistoricalBusinessHours = apps.get_model("policies", "HistoricalBusinessHours")
    now = timezone.now()
    for client in Client.objects.order_by("pk"):
        existing = set(Policy.objects.filter(client=client).values_list("category", flat=True))
        for category, values in POLICIES.items():
            if category not in existing:
                policy = Policy(client=client, category=category, **values)
                _save_with_history(Policy, HistoricalPolicy, policy, now)
        if not existing and not BusinessHours.objects.filter(client=client).exists():
            for weekday in range(5):
                hours = BusinessHours(
                    client=client, weekday=weekday, opens=OFFICE_HOURS[0], closes=OFFICE_HOURS[1]
                )
                _save_with_history(BusinessHours, HistoricalBusinessHours, hours, now)


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0001_initial"),
        ("policies", "0002_policy_validators"),
    ]

    operations = [
        # Nothing to undo: the policies stay, as any edited by desk admins would.
        migrations.RunPython(create_defaults, migrations.RunPython.noop),
    ]
