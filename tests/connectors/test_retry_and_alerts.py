"""Supervisors: the queue's alert of systems that keep failing, retrying by hand
(POST /connectors/deliveries/<id>/retry/, scoped by client), and each system's status on
the ticket page."""

import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from profiledesk.connectors.models import Delivery, Status
from profiledesk.connectors.services import deliveries_create
from profiledesk.connectors.tasks import deliver
from tests.conftest import signed_in
from tests.factories import TicketFactory

from .helpers import EVENT, connector_for, mark_applied


@pytest.fixture
def ticket(customer, agent):
    ticket = TicketFactory(customer=customer, created_by=agent, category="contact")
    mark_applied(ticket)
    return ticket


@pytest.fixture
def given_up(ticket, northwind, receiver, settings):
    """A delivery to a CRM that answered 500 until the desk gave up."""
    settings.CONNECTOR_MAX_ATTEMPTS = 1
    receiver.answers = [500]
    connector_for(northwind, url=receiver.url, name="Northwind CRM")
    [delivery] = deliveries_create(ticket=ticket, event=EVENT)
    deliver.apply(args=[delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == Status.GAVE_UP
    return delivery


def test_the_queue_loads_the_alert_for_supervisors_only(personas):
    queue = reverse("tickets:queue")
    assert reverse("connectors:alerts") in signed_in(personas["supervisor"]).get(queue).text
    assert reverse("connectors:alerts") not in signed_in(personas["agent"]).get(queue).text


def test_a_system_that_gave_up_is_listed_in_the_supervisors_alert(personas, given_up):
    response = signed_in(personas["supervisor"]).get(reverse("connectors:alerts"))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="connector-alert"' in page
    assert "Northwind CRM" in page and "1 delivery given up" in page
    assert reverse("connectors:retry", args=[given_up.pk]) in page


def test_a_system_failing_several_times_in_a_row_alerts_too(personas, ticket, northwind, settings):
    settings.CONNECTOR_ALERT_AFTER = 3
    connector = connector_for(northwind, url="https://crm.example/hooks", name="Flaky CRM")
    [delivery] = deliveries_create(ticket=ticket, event=EVENT)
    alerts = reverse("connectors:alerts")
    Delivery.objects.filter(pk=delivery.pk).update(status=Status.FAILING, attempts=2)
    assert "Flaky CRM" not in signed_in(personas["supervisor"]).get(alerts).text
    Delivery.objects.filter(pk=delivery.pk).update(attempts=3)
    assert connector.name in signed_in(personas["supervisor"]).get(alerts).text


def seen_value(page: str) -> str:
    match = re.search(r'id="connector-alerts-seen" name="seen" value="([0-9a-f]+)"', page)
    assert match, "the banner carries the state it shows"
    return match.group(1)


def test_an_unchanged_alert_is_not_swapped_in_again_so_not_announced_again(
    personas, ticket, northwind, given_up
):
    """The banner is role="alert": each swap is read out. The minute's poll sends what it
    shows; the same state is a 204 (htmx swaps nothing), a new one the new banner."""
    http = signed_in(personas["supervisor"])
    alerts = reverse("connectors:alerts")
    seen = seen_value(http.get(alerts).text)
    again = http.get(alerts, {"seen": seen}, headers={"X-Desk-Background": "1"})
    assert again.status_code == 204 and again.content == b""
    # Something new: another system gives up. The banner comes back, with it.
    other = connector_for(northwind, url="https://erp.example/hooks", name="Northwind ERP")
    deliveries_create(ticket=ticket, event=EVENT)
    Delivery.objects.filter(connector=other).update(status=Status.GAVE_UP, attempts=5)
    changed = http.get(alerts, {"seen": seen})
    assert changed.status_code == 200 and "Northwind ERP" in changed.text
    assert seen_value(changed.text) != seen
    # A stale or forged `seen` only ever gets the full banner.
    assert http.get(alerts, {"seen": "x" * 16}).status_code == 200


def test_the_alert_shows_only_the_staff_members_clients(personas, solaris, given_up):
    from tests.conftest import make_staff

    other_supervisor = make_staff("solaris-supervisor", "supervisor", solaris)
    page = signed_in(other_supervisor).get(reverse("connectors:alerts")).text
    assert "Northwind CRM" not in page


def test_a_supervisor_retries_a_given_up_delivery_and_it_is_delivered(
    personas, given_up, receiver, django_capture_on_commit_callbacks
):
    url = reverse("connectors:retry", args=[given_up.pk])
    with django_capture_on_commit_callbacks() as queued:
        response = signed_in(personas["supervisor"]).post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:detail", args=[given_up.ticket.reference])
    assert len(queued) == 1
    given_up.refresh_from_db()
    assert given_up.status == Status.PENDING and given_up.attempts == 0
    event = AuditEvent.objects.get(action="connectors.delivery_retried")
    assert event.actor == personas["supervisor"] and event.target_id == str(given_up.pk)

    assert deliver.apply(args=[given_up.pk]).result == "delivered"
    assert [r["answer"] for r in receiver.requests] == [500, 200]
    first, second = receiver.requests
    assert first["headers"]["idempotency-key"] == second["headers"]["idempotency-key"]


def test_a_delivered_delivery_cannot_be_retried(personas, ticket, northwind, receiver):
    connector_for(northwind, url=receiver.url)
    [delivery] = deliveries_create(ticket=ticket, event=EVENT)
    deliver.apply(args=[delivery.pk])
    http = signed_in(personas["supervisor"])
    response = http.post(reverse("connectors:retry", args=[delivery.pk]), follow=True)
    assert "Only a failing or given-up delivery can be retried." in response.text
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED and len(receiver.requests) == 1


def test_another_clients_staff_cannot_retry_a_delivery(personas, solaris, given_up):
    from tests.conftest import make_staff

    url = reverse("connectors:retry", args=[given_up.pk])
    other_supervisor = make_staff("solaris-supervisor", "supervisor", solaris)
    assert signed_in(other_supervisor).post(url).status_code == 404
    assert signed_in(personas["outsider"]).post(url).status_code == 403  # an agent
    assert signed_in(personas["agent"]).post(url).status_code == 403
    given_up.refresh_from_db()
    assert given_up.status == Status.GAVE_UP


def test_the_ticket_page_shows_each_systems_status(personas, given_up, northwind, receiver):
    connector_for(northwind, url=receiver.url, name="Northwind Support", kind="support")
    ticket = given_up.ticket
    [_, support] = deliveries_create(ticket=ticket, event={**EVENT, "id": "evt-0002"})
    page = signed_in(personas["supervisor"]).get(reverse("tickets:detail", args=[ticket.reference]))
    text = page.content.decode()
    assert 'data-testid="downstream"' in text
    assert "Northwind CRM" in text and "Gave up" in text
    assert "Northwind Support" in text and "Pending" in text
    assert reverse("connectors:retry", args=[given_up.pk]) in text
    assert reverse("connectors:retry", args=[support.pk]) not in text  # pending: no button
    # Agents see the status but not the retry button.
    agent_page = signed_in(personas["agent"]).get(
        reverse("tickets:detail", args=[ticket.reference])
    )
    assert "Gave up" in agent_page.text
    assert reverse("connectors:retry", args=[given_up.pk]) not in agent_page.text


def test_the_ticket_page_of_an_applied_ticket_costs_two_queries_more_whatever_the_systems(
    personas, ticket, northwind, django_assert_max_num_queries
):
    from tests.tickets.test_ticket_pages import QUERIES_TICKET_PAGE

    for n in range(4):
        connector_for(northwind, url=f"https://s{n}.example/hook", name=f"System {n}")
    deliveries_create(ticket=ticket, event=EVENT)
    http = signed_in(personas["agent"])
    url = reverse("tickets:detail", args=[ticket.reference])
    http.get(url)
    # The page's budget (tests/tickets/test_ticket_pages.py, a new ticket's) plus the
    # deliveries with their connectors (one query, four systems or one) and the
    # confirmations; the verification panel reads what happened, as a new ticket's does.
    with django_assert_max_num_queries(QUERIES_TICKET_PAGE + 2):
        assert http.get(url).status_code == 200
