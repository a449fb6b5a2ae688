"""The background build: progress saved batch by batch, one file however often the task
runs, a failure recorded without its details, expired files purged (the row kept), and
lost tasks queued again by the sweep."""

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from audit.services import audit_record
from profiledesk.exports import services
from profiledesk.exports.models import Export, Status
from profiledesk.exports.tasks import build, purge

from .helpers import built, queued_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_events(northwind, personas):
    for n in range(5):
        audit_record(action=f"test.event{n}", actor=personas["agent"], client=northwind)


def test_progress_is_saved_after_every_batch(
    northwind, personas, five_events, settings, monkeypatch
):
    settings.EXPORT_BATCH_SIZE = 2
    export = queued_export(northwind, personas["compliance"])
    seen = []
    save = Export.save

    def recording_save(self, *args, **kwargs):
        if "done" in kwargs.get("update_fields", []):
            seen.append((self.done, self.total, self.status))
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Export, "save", recording_save)
    built(export)

    # Two rows a batch, then the rest, then "done" with the file.
    assert seen == [
        (2, 5, Status.RUNNING),
        (4, 5, Status.RUNNING),
        (5, 5, Status.RUNNING),
        (5, 5, Status.DONE),
    ]


def test_the_task_run_twice_builds_one_file(northwind, personas, five_events):
    export = queued_export(northwind, personas["compliance"])

    assert build(export.pk) == "done"
    export.refresh_from_db()
    first = (export.file.name, export.sha256, export.finished_at)
    assert build(export.pk) == "skipped"  # a redelivery: the row is no longer queued

    export.refresh_from_db()
    assert (export.file.name, export.sha256, export.finished_at) == first
    directory = export.file.name.rsplit("/", 1)[0]
    mine = [f for f in default_storage.listdir(directory)[1] if f.endswith(f"-{export.pk}.csv")]
    assert mine == [export.file.name.rsplit("/", 1)[1]]


def test_a_failed_build_says_so_without_the_errors_text(northwind, personas, monkeypatch, caplog):
    export = queued_export(northwind, personas["compliance"])

    def broken(*args, **kwargs):
        raise ValueError("card 4111111111111111 in the way")

    monkeypatch.setattr("profiledesk.exports.content.plan_for", broken)
    assert build(export.pk) == "failed"

    export.refresh_from_db()
    assert export.status == Status.FAILED
    assert "4111" not in export.error
    assert "ValueError" in export.error
    assert "ValueError" in caplog.text
    assert "4111" not in caplog.text
    assert not export.file


def test_expired_files_are_deleted_and_the_rows_kept(northwind, personas, five_events):
    kept = queued_export(northwind, personas["compliance"])
    old = queued_export(northwind, personas["compliance"])
    built(kept)
    built(old)
    old.refresh_from_db()
    name = old.file.name
    Export.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))

    assert purge() == 1

    old.refresh_from_db()
    assert not default_storage.exists(name)
    assert old.purged_at is not None and not old.file
    assert old.sha256  # the record of what was exported stays
    kept.refresh_from_db()
    assert default_storage.exists(kept.file.name)
    assert purge() == 0


def test_the_retention_comes_from_the_setting(northwind, personas, settings):
    settings.EXPORT_RETENTION_DAYS = 2
    export = queued_export(northwind, personas["compliance"])
    built(export)
    assert export.expires_at - export.finished_at == dt.timedelta(days=2)


def test_the_sweep_queues_again_exports_whose_task_was_lost(
    northwind, personas, monkeypatch, settings
):
    settings.EXPORT_STALE_SECONDS = 600
    queued = []
    monkeypatch.setattr("profiledesk.exports.tasks.build.delay", queued.append)
    lost = queued_export(northwind, personas["compliance"])
    dead = queued_export(northwind, personas["compliance"])
    fresh = queued_export(northwind, personas["compliance"])
    working = queued_export(northwind, personas["compliance"])
    long_ago = timezone.now() - dt.timedelta(minutes=30)
    Export.objects.filter(pk=lost.pk).update(updated_at=long_ago)
    Export.objects.filter(pk=dead.pk).update(status=Status.RUNNING, updated_at=long_ago)
    Export.objects.filter(pk=working.pk).update(status=Status.RUNNING)

    assert services.exports_sweep() == 2

    assert sorted(queued) == sorted([lost.pk, dead.pk])
    assert Export.objects.get(pk=dead.pk).status == Status.QUEUED
    assert Export.objects.get(pk=working.pk).status == Status.RUNNING
    assert fresh.pk not in queued
    assert services.exports_sweep() == 0  # queued again just now: left alone
