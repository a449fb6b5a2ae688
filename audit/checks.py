"""System checks of the audit trail's retention (PCI DSS 10.5.1: a year of history)."""

from django.conf import settings
from django.core import checks
from django.core.management import get_commands

MINIMUM_RETENTION_DAYS = 365


def history_retention_days() -> int:
    return getattr(settings, "HISTORY_RETENTION_DAYS", 400)


@checks.register(checks.Tags.security)
def check_history_retention(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    days = history_retention_days()
    if not isinstance(days, int) or isinstance(days, bool) or days < MINIMUM_RETENTION_DAYS:
        return [
            checks.Error(
                f"HISTORY_RETENTION_DAYS is {days!r}: history must be kept at least "
                f"{MINIMUM_RETENTION_DAYS} days (PCI DSS 10.5.1).",
                hint="Unset it (default 400) or set it to 365 or more.",
                id="audit.E001",
            )
        ]
    return []


@checks.register(checks.Tags.security)
def check_clean_old_history_is_guarded(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    # Django runs the command of the first app in INSTALLED_APPS that has one: were
    # audit.retention dropped or moved after simple_history, the 30-day upstream would run.
    owner = get_commands().get("clean_old_history")
    if owner not in (None, "audit.retention"):
        return [
            checks.Error(
                f"`clean_old_history` resolves to {owner}'s, which deletes history after "
                "30 days by default (PCI DSS 10.5.1 asks for twelve months).",
                hint='List "audit.retention" before "simple_history" in INSTALLED_APPS.',
                id="audit.E002",
            )
        ]
    return []
