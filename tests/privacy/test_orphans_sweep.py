"""The daily sweep deletes attachment, identity-document, export and pending-avatar files
that no row references once they are a day old, and keeps referenced files, young files and
other folders (tests/storage/ runs it against an object store)."""

import datetime as dt
import os

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from profiledesk.privacy.orphans import files_orphans_sweep as sweep
from profiledesk.privacy.tasks import files_orphans_sweep
from profiledesk.tickets.models import Attachment
from tests.factories import TicketFactory, complete_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


def _write(root, name: str, *, age: dt.timedelta) -> str:
    saved = default_storage.save(name, ContentFile(b"%PDF-1.7\n%%EOF\n"))
    stamp = (timezone.now() - age).timestamp()
    os.utime(root / saved, (stamp, stamp))
    return saved


def _files(root) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_old_unreferenced_files_go_and_everything_else_stays(private_storage, northwind):
    old, young = dt.timedelta(days=2), dt.timedelta(hours=2)
    ticket = TicketFactory(customer=complete_customer(northwind))
    kept = _write(private_storage, "tickets/2026/01/statement.pdf", age=old)
    Attachment.objects.create(
        ticket=ticket,
        file=kept,
        original_name="statement.pdf",
        content_type="application/pdf",
        size=15,
        uploaded_at=timezone.now(),
    )
    orphans = {
        _write(private_storage, "tickets/2026/01/lost.pdf", age=old),
        _write(private_storage, "tickets/2025/12/lost-too.pdf", age=old),
        _write(private_storage, "verification/documents/2026/01/abc.pdf", age=old),
        _write(private_storage, "exports/2026/01/northwind-audit_events-9.csv", age=old),
        _write(private_storage, "avatars/pending/2026/01/x.png", age=old),  # no item names it
    }
    waiting = _write(private_storage, "tickets/2026/01/committing.pdf", age=young)
    # Published avatars belong to profile rows and their history: never swept.
    elsewhere = _write(private_storage, "avatars/2026/01/x.png", age=old)

    assert files_orphans_sweep() == 5

    assert _files(private_storage) == {kept, waiting, elsewhere}
    assert not orphans & _files(private_storage)
    assert files_orphans_sweep() == 0  # idempotent


def test_batches_of_names_each_take_one_query(private_storage, django_assert_num_queries):
    for n in range(5):
        _write(private_storage, f"tickets/2026/01/f{n}.pdf", age=dt.timedelta(days=2))
    # Four folders; tickets/ in batches of 2 (3 queries), the others are empty (none).
    with django_assert_num_queries(3):
        assert sweep(batch_size=2) == 5


def test_an_empty_storage_is_fine(private_storage):
    assert files_orphans_sweep() == 0


def test_the_sweep_runs_daily_from_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["privacy-files-orphans-sweep"]
    assert entry == {"task": "privacy.files_orphans_sweep", "schedule": 86400.0}
