"""Celery interface of the identity provider: load by id, call the services.

`session_create` is safe to run twice or be redelivered: it holds the row with a
conditional UPDATE and does nothing if the session has started, ended or is held."""

import logging

from celery import shared_task

from . import services, stripe_identity

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="idv.session_create", max_retries=None, ignore_result=True)
def session_create(self, session_id: int) -> str:
    outgoing = services.idv_session_claim(session_id=session_id)
    if outgoing is None:
        return "skipped"
    try:
        created = stripe_identity.session_create(
            base_url=outgoing.base_url,
            secret_key=outgoing.secret_key,
            idempotency_key=f"profiledesk-idv-{outgoing.session_id}",
            metadata=services.metadata_for(outgoing),
            client_reference_id=f"profiledesk-{outgoing.session_id}",
            timeout=services.timeout(),
        )
    except stripe_identity.ProviderUnavailable as error:
        delay = services.idv_session_unreachable(session_id=session_id, reason=str(error))
        if delay is None:
            return "gave_up"
        logger.info("identity session %s: provider unreachable (%s); retrying", session_id, error)
        raise self.retry(countdown=delay) from None
    except stripe_identity.ProviderRefused as error:
        services.idv_session_refused(session_id=session_id, reason=str(error))
        return "refused"
    services.idv_session_created(session_id=session_id, created=created)
    return "sent"


@shared_task(name="idv.sweep", acks_late=False)
def sweep_sessions() -> int:
    return services.idv_sessions_sweep()
