"""docs/design.md §7 as code: history-tracked models are written only in ways simple-history sees
(a runtime guard for the whole test suite and a static check of the source), and history
is kept at least twelve months (PCI DSS 10.5.1)."""

import datetime as dt
import textwrap
from io import StringIO

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from audit import history_guard
from audit.checks import MINIMUM_RETENTION_DAYS
from audit.history_guard import UntrackedWriteError, untracked_writes
from profiledesk.clients.models import Membership
from profiledesk.customers.models import Customer, EmailAddress
from profiledesk.tickets.models import Ticket, TicketEvent
from tests.factories import TicketFactory

# --- the runtime guard ----------------------------------------------------------------------


def test_the_guard_is_on_for_every_test():
    assert history_guard.installed()


def test_queryset_update_of_a_tracked_model_is_refused_naming_the_line(agent, northwind, customer):
    ticket = TicketFactory(customer=customer)
    with pytest.raises(UntrackedWriteError, match=r"tickets\.Ticket.*test_history_writes\.py:\d+"):
        Ticket.objects.filter(pk=ticket.pk).update(priority="high")
    # Through the manager too, and bulk writes alike.
    with pytest.raises(UntrackedWriteError):
        Ticket.objects.update(priority="high")
    with pytest.raises(UntrackedWriteError, match="bulk_update_with_history"):
        Ticket.objects.bulk_update([ticket], ["priority"])
    with pytest.raises(UntrackedWriteError, match="bulk_create_with_history"):
        Membership.objects.bulk_create([Membership(user=agent, client=northwind)])


def test_the_history_helpers_are_allowed_and_leave_a_version_a_row(customer):
    emails = list(EmailAddress.objects.filter(customer=customer))
    before = EmailAddress.history.count()
    for row in emails:
        row.verified_at = timezone.now()
    bulk_update_with_history(emails, EmailAddress, ["verified_at"])
    new = [EmailAddress(customer=customer, email="second@example.com")]
    bulk_create_with_history(new, EmailAddress)
    assert EmailAddress.history.count() == before + len(emails) + 1


def test_untracked_and_historical_models_may_be_written_in_bulk(customer):
    ticket = TicketFactory(customer=customer)
    TicketEvent.objects.filter(ticket=ticket).update(message="x")  # not history-tracked
    Customer.history.filter(id=customer.pk).update(history_change_reason="import")
    assert Customer.history.filter(history_change_reason="import").exists()


def test_a_queryset_delete_of_tracked_rows_leaves_a_version_a_row(customer):
    # Why the guard leaves QuerySet.delete() alone: simple-history's post_delete receiver
    # makes Django fetch and signal each row, so every deletion (cascades too) is recorded.
    count = EmailAddress.objects.filter(customer=customer).count()
    EmailAddress.objects.filter(customer=customer).delete()
    assert EmailAddress.history.filter(history_type="-").count() == count > 0


# --- the static check -----------------------------------------------------------------------------

SOURCES = [settings.BASE_DIR / name for name in ("profiledesk", "verification", "audit")]


def test_no_source_file_writes_a_tracked_model_behind_historys_back():
    assert untracked_writes(SOURCES) == []


def test_the_static_check_names_the_file_and_line_of_a_planted_violation(tmp_path):
    planted = tmp_path / "services.py"
    planted.write_text(
        textwrap.dedent(
            """
            from profiledesk.tickets.models import Ticket

            def ticket_close_all(ids):
                Ticket.objects.filter(pk__in=ids).select_for_update().update(state="closed")
                Ticket.history.filter(id__in=ids).update(history_change_reason="ok")
                Ticket._default_manager.bulk_create([])
                Message.objects.filter(pk=1).update(status="sent")
                AuditEvent.objects.filter(pk=1).delete()
            """
        )
    )
    assert untracked_writes([tmp_path]) == [
        f"{planted}:5: Ticket.objects…update()",
        f"{planted}:7: Ticket.objects…bulk_create()",
        f"{planted}:9: AuditEvent.objects…delete()",
    ]


# --- retention: at least twelve months (PCI DSS 10.5.1) --------------------------------------


def test_history_is_kept_at_least_a_year_by_default():
    assert settings.HISTORY_RETENTION_DAYS >= MINIMUM_RETENTION_DAYS == 365


@pytest.mark.parametrize("days", [30, 364, "400"])
def test_a_retention_under_a_year_is_a_system_check_error(settings, days):
    settings.HISTORY_RETENTION_DAYS = days
    errors = [m for m in run_checks(tags=["security"]) if m.id == "audit.E001"]
    assert len(errors) == 1 and "PCI DSS 10.5.1" in errors[0].msg


def test_a_retention_of_a_year_passes_the_checks(settings):
    settings.HISTORY_RETENTION_DAYS = 365
    assert not [m for m in run_checks(tags=["security"]) if m.id == "audit.E001"]


def test_clean_old_history_is_the_desks_not_simple_historys():
    # Django runs the command of the app listed first; audit.retention is listed before
    # simple_history for that reason.
    assert get_commands()["clean_old_history"] == "audit.retention"


def _aged(customer, days: int):
    version = Customer.history.filter(id=customer.pk).earliest("history_date")
    Customer.history.filter(pk=version.pk).update(
        history_date=timezone.now() - dt.timedelta(days=days)
    )
    return version.pk


@pytest.mark.parametrize("days", ["30", "364", "399"])
def test_cleaning_history_younger_than_the_retention_is_refused(customer, days):
    aged = _aged(customer, 200)
    with pytest.raises(CommandError, match="Refusing to delete history younger than 400 days"):
        call_command("clean_old_history", "--auto", "--days", days)
    assert Customer.history.filter(pk=aged).exists()


def test_the_default_cleanup_keeps_everything_younger_than_the_retention(customer, northwind):
    from tests.factories import complete_customer

    kept = _aged(customer, 390)
    removed = _aged(complete_customer(northwind, legal_name="Ada Lovelace"), 500)
    call_command("clean_old_history", "--auto", stdout=StringIO())
    assert Customer.history.filter(pk=kept).exists()
    assert not Customer.history.filter(pk=removed).exists()


def test_no_scheduled_task_cleans_history_sooner_than_the_retention():
    from profiledesk.celery import app

    schedule = {**settings.CELERY_BEAT_SCHEDULE, **(app.conf.beat_schedule or {})}
    for name, entry in schedule.items():
        text = f"{name} {entry.get('task', '')} {entry.get('args', '')}".lower()
        if "history" in text or "audit" in text:
            days = (entry.get("kwargs") or {}).get("days")
            assert days is not None and days >= settings.HISTORY_RETENTION_DAYS, name


def test_listing_simple_history_first_is_a_system_check_error():
    from django.core.management import get_commands
    from django.test import override_settings

    without = [app for app in settings.INSTALLED_APPS if app != "audit.retention"]
    get_commands.cache_clear()
    try:
        with override_settings(INSTALLED_APPS=without):
            errors = [m for m in run_checks(tags=["security"]) if m.id == "audit.E002"]
    finally:
        get_commands.cache_clear()
    assert len(errors) == 1 and "simple_history" in errors[0].msg
    assert not [m for m in run_checks(tags=["security"]) if m.id == "audit.E002"]
