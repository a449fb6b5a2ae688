"""The desk's Celery app. Broker and result backend: Redis at REDIS_URL.

Acks are late and a task whose worker dies is rejected back to the queue
(settings: CELERY_TASK_ACKS_LATE, CELERY_TASK_REJECT_ON_WORKER_LOST), so every task
must be idempotent. Tasks are queued only after commit: call `task.delay_on_commit(...)`
with ids, never model instances.
"""

import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger
from celery.utils.log import get_multiprocessing_logger

from profiledesk.privacy.logging import attach_filter, install_record_factory

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "profiledesk.settings.base")

app = Celery("profiledesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Celery replaces the root logger's handlers with its own (worker and beat formats) and
# gives `celery.task` a handler that does not propagate: each gets the redact filter.
@after_setup_logger.connect
@after_setup_task_logger.connect
def _redact_celery_logs(logger, **kwargs) -> None:
    install_record_factory()
    attach_filter(logger)
    if (processes := get_multiprocessing_logger()) is not None:
        attach_filter(processes)
