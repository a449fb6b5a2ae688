"""Celery interface of notifications: beat finds the tickets that newly breached their SLA."""

from celery import shared_task

from . import services


@shared_task(name="notifications.sla_breaches", acks_late=False)
def sla_breaches() -> int:
    return services.notifications_breached()
