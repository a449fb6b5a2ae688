"""Fixtures of the identity-provider tests: a local Stripe Identity, a client's account
with it, a ticket being verified by the agent, and the start task run as the worker would."""

import threading

import pytest

from profiledesk.idv import tasks
from profiledesk.idv.models import IdentitySession, ProviderAccount
from tests.factories import claimed
from tests.verification.helpers import open_ticket

from .provider import SECRET_KEY, WEBHOOK_SECRET, FakeStripe, start


@pytest.fixture
def stripe(settings):
    recorder = FakeStripe()
    server = start(recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.IDV_TIMEOUT = recorder.timeout
    settings.IDV_ALLOW_HTTP = True
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def account_for(client, base_url: str, **extra) -> ProviderAccount:
    account = ProviderAccount(client=client, base_url=base_url, **extra)
    account.set_secret_key(SECRET_KEY)
    account.set_webhook_secret(WEBHOOK_SECRET)
    account.save()
    return account


@pytest.fixture
def account(stripe, northwind):
    return account_for(northwind, stripe.base_url)


@pytest.fixture
def queued(monkeypatch):
    """Session ids the start service queued (after commit), instead of a broker."""
    ids: list[int] = []
    monkeypatch.setattr(tasks.session_create, "delay", lambda pk: ids.append(pk))
    return ids


@pytest.fixture
def ticket(customer, agent):
    return claimed(open_ticket(customer, agent), agent)


def run_task(session_id: int) -> str:
    return tasks.session_create.apply(args=[session_id]).result


def started(ticket, agent, django_capture_on_commit_callbacks, queued, contact_key=None):
    """A session started by the agent and sent to the provider by the worker."""
    from profiledesk.idv.services import idv_session_start
    from tests.verification.helpers import email_key

    with django_capture_on_commit_callbacks(execute=True):
        session = idv_session_start(
            ticket=ticket, by=agent, contact_key=contact_key or email_key(ticket.customer)
        )
    assert queued[-1] == session.pk
    assert run_task(session.pk) == "sent"
    return IdentitySession.objects.get(pk=session.pk)
