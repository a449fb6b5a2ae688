"""Claiming from the queue: one winner when two agents press at once, a clear message for
the other, and back to the same queue page."""

import threading
import time

import pytest
from django.db import connection
from django.urls import reverse

from profiledesk.accounts.roles import Role
from profiledesk.tickets import services
from profiledesk.tickets.models import Ticket, TicketEvent
from tests.conftest import make_staff, signed_in
from tests.tickets.queue_helpers import queue_ticket


def claim_url(ticket) -> str:
    return reverse("tickets:claim", args=[ticket.reference])


def test_an_agent_claims_an_unassigned_ticket_and_returns_to_the_queue(northwind, agent):
    ticket = queue_ticket(northwind)
    next_url = "/tickets/?sla=due_soon&channel=phone"
    response = signed_in(agent).post(claim_url(ticket), {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert ticket.events.filter(kind=TicketEvent.Kind.ASSIGNED, actor=agent).exists()


def test_claiming_a_ticket_someone_has_says_who_has_it(northwind, personas):
    ticket = queue_ticket(northwind, assignee=personas["supervisor"])
    response = signed_in(personas["agent"]).post(claim_url(ticket), follow=True)
    assert f"{personas['supervisor']} has already claimed this ticket." in (
        response.content.decode()
    )
    ticket.refresh_from_db()
    assert ticket.assignee == personas["supervisor"]


def test_a_claim_never_sends_the_browser_off_the_desk(northwind, agent):
    ticket = queue_ticket(northwind)
    response = signed_in(agent).post(claim_url(ticket), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("tickets:queue")


def test_compliance_cannot_claim(northwind, personas):
    ticket = queue_ticket(northwind)
    assert signed_in(personas["compliance"]).post(claim_url(ticket)).status_code == 403
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_a_ticket_of_another_client_cannot_be_claimed(northwind, personas):
    ticket = queue_ticket(northwind)
    assert signed_in(personas["outsider"]).post(claim_url(ticket)).status_code == 404


def test_claim_only_accepts_post(northwind, agent):
    ticket = queue_ticket(northwind)
    assert signed_in(agent).get(claim_url(ticket)).status_code == 405


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_agents_claiming_at_once_give_one_owner_and_tell_the_other(
    monkeypatch, northwind, personas
):
    ticket = queue_ticket(northwind)
    second_agent = make_staff("agent-two", Role.AGENT, northwind)
    original_event = services._event

    def slow_event(*args, **kwargs):
        time.sleep(0.3)  # the winner holds the row lock while the other claim arrives
        return original_event(*args, **kwargs)

    monkeypatch.setattr(services, "_event", slow_event)
    barrier = threading.Barrier(2)
    pages: dict[str, str] = {}

    def press(user):
        http = signed_in(user)  # its own database connection: one a thread
        try:
            barrier.wait()
            pages[user.username] = http.post(claim_url(ticket), follow=True).content.decode()
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(u,)) for u in (personas["agent"], second_agent)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    owner = Ticket.objects.get(pk=ticket.pk).assignee
    loser = second_agent if owner == personas["agent"] else personas["agent"]
    assert owner in (personas["agent"], second_agent)
    assert f"You claimed {ticket.reference}." in pages[owner.username]
    assert f"{owner} has already claimed this ticket." in pages[loser.username]
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.ASSIGNED).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_the_claim_service_lets_one_of_two_threads_win(monkeypatch, northwind, personas):
    ticket = queue_ticket(northwind)
    original_event = services._event

    def slow_event(*args, **kwargs):
        time.sleep(0.3)
        return original_event(*args, **kwargs)

    monkeypatch.setattr(services, "_event", slow_event)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def claim(user):
        try:
            barrier.wait()
            services.ticket_claim(ticket=Ticket.objects.get(pk=ticket.pk), by=user)
            outcomes.append("won")
        except services.TicketError:
            outcomes.append("TicketError")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=claim, args=(personas[role],)) for role in ("agent", "supervisor")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["TicketError", "won"]
