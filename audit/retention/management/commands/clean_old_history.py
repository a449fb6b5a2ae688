"""simple-history's `clean_old_history`, refusing to cut history shorter than a year.

Upstream deletes versions older than `--days`, 30 by default: run once from a cron line
copied off its docs, it would destroy the evidence PCI DSS 10.5.1 asks to keep for twelve
months. Here the default is HISTORY_RETENTION_DAYS (400) and anything below it — or below
365, whatever the setting — is refused before a row is touched.
"""

from django.core.management.base import CommandError
from simple_history.management.commands import clean_old_history

from audit.checks import MINIMUM_RETENTION_DAYS, history_retention_days


def retention_floor() -> int:
    return max(history_retention_days(), MINIMUM_RETENTION_DAYS)


class Command(clean_old_history.Command):
    help = (
        "Delete history versions older than --days (default and minimum: "
        "HISTORY_RETENTION_DAYS, at least 365; PCI DSS 10.5.1)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(days=retention_floor())

    def handle(self, *args, **options):
        floor = retention_floor()
        if options["days"] is None or options["days"] < floor:
            raise CommandError(
                f"Refusing to delete history younger than {floor} days (--days "
                f"{options['days']}): PCI DSS 10.5.1 asks for twelve months of audit "
                f"history, and HISTORY_RETENTION_DAYS keeps {history_retention_days()}."
            )
        super().handle(*args, **options)
