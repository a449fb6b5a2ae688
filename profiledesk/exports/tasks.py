"""Celery interface of exports: tasks load by id and call the services.

`build` is safe to run twice or be redelivered (acks_late): the service claims the row
with a conditional UPDATE and does nothing if another run did.
"""

from celery import shared_task

from . import services


@shared_task(name="exports.build", ignore_result=True)
def build(export_id: int) -> str:
    return services.export_build(export_id=export_id)


@shared_task(name="exports.purge", acks_late=False)
def purge() -> int:
    return services.exports_purge()


@shared_task(name="exports.sweep", acks_late=False)
def sweep() -> int:
    return services.exports_sweep()
