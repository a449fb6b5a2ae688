"""Starting an identity check: the agent (or the desk itself) asks the provider for a
session, and its link goes to a verified contact on file through the outbox. Abuse first:
a ticket not yours, a contact withheld or not on file, a second session at once, too many
links a day, another client's ticket; then the provider's outage, timeouts and refusals."""

import json
import logging

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from profiledesk.idv import services
from profiledesk.idv.models import IdentitySession, SessionStatus
from profiledesk.idv.services import IdvError, idv_session_start
from profiledesk.messaging import crypto
from profiledesk.messaging.models import Message
from tests.conftest import signed_in
from tests.factories import TicketFactory, claimed
from tests.verification.helpers import email_key, open_ticket, phone_key
from verification.services import identity_destinations

from .conftest import run_task, started
from .provider import SECRET_KEY


def start(ticket, by, key, capture):
    with capture(execute=True):
        return idv_session_start(ticket=ticket, by=by, contact_key=key)


# --- abuse ---------------------------------------------------------------------------


def test_a_ticket_claimed_by_someone_else_cannot_start_a_check(
    customer, agent, personas, account, django_capture_on_commit_callbacks, queued
):
    ticket = claimed(open_ticket(customer, agent), personas["supervisor"])
    with pytest.raises(IdvError, match="Claim this ticket first"):
        start(ticket, agent, email_key(customer), django_capture_on_commit_callbacks)
    assert not IdentitySession.objects.exists() and queued == []


def test_a_ticket_not_being_verified_cannot_start_a_check(
    customer, agent, account, django_capture_on_commit_callbacks
):
    ticket = claimed(open_ticket(customer, agent, verifying=False), agent)
    with pytest.raises(IdvError, match="Start verification"):
        start(ticket, agent, email_key(customer), django_capture_on_commit_callbacks)


def test_the_link_never_goes_to_a_contact_not_on_file(
    ticket, agent, account, django_capture_on_commit_callbacks
):
    for key in ("email:999999", "item:1", "new:attacker@example.com", "email:1 OR 1=1", ""):
        with pytest.raises(IdvError):
            start(ticket, agent, key, django_capture_on_commit_callbacks)
    assert not IdentitySession.objects.exists()


def test_the_link_never_goes_to_a_contact_withheld_for_this_ticket(
    customer, agent, account, django_capture_on_commit_callbacks, queued
):
    # An open e-mail change of the customer: a security change may not use that e-mail.
    change = TicketFactory(customer=customer, created_by=agent, category="contact")
    item = change.items.get(field="emailaddress.email")
    item.target_id = customer.emails.get().pk  # the e-mail on file, changed in place
    item.save(update_fields=["target_id"])
    ticket = claimed(open_ticket(customer, agent, category="security"), agent)
    listed = {c.key: c for c in identity_destinations(ticket)}
    assert listed[email_key(customer)].withheld
    with pytest.raises(IdvError, match="No identity-check link goes to"):
        start(ticket, agent, email_key(customer), django_capture_on_commit_callbacks)
    # The desk itself (no contact named) picks a contact that is not withheld.
    with django_capture_on_commit_callbacks(execute=True):
        session = idv_session_start(ticket=ticket, by=None)
    assert session.contact_key == phone_key(customer)


def test_one_check_at_a_time_and_three_links_a_day_at_most(
    ticket, agent, customer, account, stripe, django_capture_on_commit_callbacks, queued
):
    first = started(ticket, agent, django_capture_on_commit_callbacks, queued)
    with pytest.raises(IdvError, match="already under way"):
        start(ticket, agent, email_key(customer), django_capture_on_commit_callbacks)
    for _ in range(2):
        IdentitySession.objects.filter(ticket=ticket).update(status=SessionStatus.CANCELED)
        start(ticket, agent, email_key(customer), django_capture_on_commit_callbacks)
    IdentitySession.objects.filter(ticket=ticket).update(status=SessionStatus.CANCELED)
    with pytest.raises(IdvError, match="3 identity-check links"):
        start(ticket, agent, email_key(customer), django_capture_on_commit_callbacks)
    assert IdentitySession.objects.filter(ticket=ticket).count() == 3
    assert first.pk


def test_a_client_without_a_provider_account_cannot_start(
    ticket, agent, django_capture_on_commit_callbacks
):
    with pytest.raises(IdvError, match="no identity provider"):
        start(ticket, agent, email_key(ticket.customer), django_capture_on_commit_callbacks)


def test_an_outsider_cannot_reach_another_clients_ticket(ticket, personas, account):
    http = signed_in(personas["outsider"])
    url = reverse("idv:start", args=[ticket.reference])
    assert http.post(url, {"contact": email_key(ticket.customer)}).status_code == 404
    assert http.get(reverse("idv:panel", args=[ticket.reference])).status_code == 404
    assert not IdentitySession.objects.exists()


# --- the link --------------------------------------------------------------------------


def test_the_link_goes_encrypted_through_the_outbox_and_nowhere_else(
    ticket, agent, account, stripe, django_capture_on_commit_callbacks, queued, caplog
):
    caplog.set_level(logging.DEBUG)
    session = started(ticket, agent, django_capture_on_commit_callbacks, queued)
    url = stripe.sessions[session.provider_id]["url"]
    message = Message.objects.get(template="identity_check")
    assert message.recipient == ticket.customer.emails.get().email
    assert (
        message.has_secret
        and url not in message.text_redacted + message.body_text + message.body_html
    )
    assert url in crypto.unseal(message.body_encrypted)["text"]
    # Not in the session row, the audit trail, the task's arguments or any log line.
    row = json.dumps(list(IdentitySession.objects.values()), default=str)
    audit = json.dumps(list(AuditEvent.objects.values_list("data", flat=True)))
    assert url not in row and url not in audit and url not in caplog.text
    assert queued == [session.pk]
    assert SECRET_KEY not in audit + row + caplog.text


def test_the_request_is_stripe_identitys_document_and_matching_selfie(
    ticket, agent, account, stripe, django_capture_on_commit_callbacks, queued
):
    session = started(ticket, agent, django_capture_on_commit_callbacks, queued)
    [call] = stripe.calls
    assert call["headers"]["authorization"] == f"Bearer {SECRET_KEY}"
    assert call["headers"]["idempotency-key"] == f"profiledesk-idv-{session.pk}"
    assert call["form"] == {
        "type": "document",
        "options[document][require_matching_selfie]": "true",
        "options[document][require_live_capture]": "true",
        "client_reference_id": f"profiledesk-{session.pk}",
        "metadata[desk_session]": str(session.pk),
        "metadata[ticket]": ticket.reference,
    }
    # No customer data leaves for the provider.
    assert ticket.customer.personal.legal_name not in json.dumps(call["form"])
    assert session.status == SessionStatus.SENT
    assert AuditEvent.objects.filter(action="idv.session_started").count() == 1


# --- the provider's outage -------------------------------------------------------------


@pytest.mark.parametrize("failure", [503, 500, 429, "timeout", "reset"])
def test_an_outage_keeps_the_session_retrying_and_a_later_try_sends_one_link(
    failure, ticket, agent, customer, account, stripe, django_capture_on_commit_callbacks, queued
):
    stripe.answers = [failure]
    session = start(ticket, agent, email_key(customer), django_capture_on_commit_callbacks)
    assert run_task(session.pk) == "skipped"  # the eager retry finds it not due yet
    session.refresh_from_db()
    assert session.status == SessionStatus.RETRYING and session.tries == 1
    assert session.get_status_display() == "Provider unreachable, retrying"
    assert AuditEvent.objects.filter(action="idv.session_retrying").count() == 1
    assert not Message.objects.exists()
    IdentitySession.objects.filter(pk=session.pk).update(next_try_at=session.created_at)
    assert run_task(session.pk) == "sent"
    assert Message.objects.filter(template="identity_check").count() == 1


def test_a_timeout_after_the_provider_made_the_session_gets_the_same_session_again(
    ticket, agent, customer, account, stripe, django_capture_on_commit_callbacks, queued
):
    session = start(ticket, agent, email_key(customer), django_capture_on_commit_callbacks)
    stripe.answers = ["timeout"]
    run_task(session.pk)
    IdentitySession.objects.filter(pk=session.pk).update(next_try_at=session.created_at)
    run_task(session.pk)
    session.refresh_from_db()
    # Two requests with one idempotency key: one provider session.
    assert len({c["headers"]["idempotency-key"] for c in stripe.calls}) == 1
    assert len(stripe.sessions) == 1 and session.provider_id in stripe.sessions


def test_after_the_last_try_the_session_fails_and_says_so(
    ticket, agent, customer, account, stripe, django_capture_on_commit_callbacks, queued, settings
):
    settings.IDV_MAX_TRIES = 2
    stripe.answers = [503, 503]
    session = start(ticket, agent, email_key(customer), django_capture_on_commit_callbacks)
    run_task(session.pk)
    IdentitySession.objects.filter(pk=session.pk).update(next_try_at=session.created_at)
    assert run_task(session.pk) == "gave_up"
    session.refresh_from_db()
    assert session.status == SessionStatus.FAILED and session.error_code.startswith("unreachable")
    assert (
        AuditEvent.objects.get(action="idv.session_failed").data["reason"].startswith("unreachable")
    )


def test_a_refused_key_fails_at_once_without_retrying(
    ticket, agent, customer, northwind, stripe, django_capture_on_commit_callbacks, queued
):
    from .conftest import account_for

    account = account_for(northwind, stripe.base_url)
    account.set_secret_key("sk_test_revoked")
    account.save()
    session = start(ticket, agent, email_key(customer), django_capture_on_commit_callbacks)
    assert run_task(session.pk) == "refused"
    session.refresh_from_db()
    assert session.status == SessionStatus.FAILED
    assert session.error_code == "http_401:invalid_request_error"
    # The provider's own message is not kept (it may quote the key).
    assert "Invalid API Key" not in json.dumps(
        list(AuditEvent.objects.values_list("data", flat=True))
    )


def test_a_lost_task_is_queued_again_by_the_sweep(
    ticket,
    agent,
    customer,
    account,
    stripe,
    django_capture_on_commit_callbacks,
    queued,
    time_machine,
):
    session = start(ticket, agent, email_key(customer), django_capture_on_commit_callbacks)
    queued.clear()  # the broker lost it
    time_machine.move_to(session.created_at + __import__("datetime").timedelta(minutes=2))
    assert services.idv_sessions_sweep() == 1
    assert queued == [session.pk]


def test_a_ticket_that_moved_on_before_the_worker_ran_sends_no_link(
    ticket, agent, customer, account, stripe, django_capture_on_commit_callbacks, queued
):
    from profiledesk.tickets.models import State
    from profiledesk.tickets.states import transition

    session = start(ticket, agent, email_key(customer), django_capture_on_commit_callbacks)
    transition(ticket=ticket, to=State.CANCELLED, by=agent, reason="customer hung up")
    assert run_task(session.pk) == "skipped"
    assert stripe.calls == [] and not Message.objects.exists()
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELED


# --- the panel --------------------------------------------------------------------------


def test_the_agent_sends_the_link_from_the_panel_and_sees_its_status(
    ticket, agent, account, stripe, queued, django_capture_on_commit_callbacks
):
    http = signed_in(agent)
    panel = http.get(reverse("idv:panel", args=[ticket.reference]))
    assert "Send identity check link" in panel.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = http.post(
            reverse("idv:start", args=[ticket.reference]),
            {"contact": email_key(ticket.customer)},
            HTTP_HX_REQUEST="true",
        )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Identity check requested" in html and "waiting for the provider" in html
    assert "Send identity check link" not in html  # one at a time
    run_task(queued[0])
    html = http.get(reverse("idv:panel", args=[ticket.reference])).content.decode()
    assert "Link sent: waiting for the customer" in html


def test_the_panel_says_why_a_start_was_refused(ticket, agent, account):
    http = signed_in(agent)
    response = http.post(
        reverse("idv:start", args=[ticket.reference]),
        {"contact": "email:999999"},
        HTTP_HX_REQUEST="true",
    )
    assert "The link goes only to a verified contact on file." in response.content.decode()
