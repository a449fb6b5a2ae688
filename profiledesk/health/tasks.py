from celery import shared_task


@shared_task(name="health.ping", acks_late=False)
def ping(nonce: str) -> str:
    """Echo for the health check's Celery round trip."""
    return nonce
