"""The desk's Celery app. Broker and result backend: Redis at REDIS_URL.

Acks are late and a task whose worker dies is rejected back to the queue
(settings: CELERY_TASK_ACKS_LATE, CELERY_TASK_REJECT_ON_WORKER_LOST), so every task
must be idempotent. Tasks are queued only after commit: call `task.delay_on_commit(...)`
with ids, never model instances.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "profiledesk.settings.base")

app = Celery("profiledesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
