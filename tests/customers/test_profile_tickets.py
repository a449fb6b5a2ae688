"""The profile lists the customer's open and latest finished requests (so that nobody opens
a duplicate), bounded, and only the customer's own."""

import re

from django.urls import reverse

from profiledesk.tickets.models import State
from profiledesk.tickets.selectors import CUSTOMER_OPEN_LIMIT, CUSTOMER_RECENT_LIMIT
from tests.conftest import signed_in
from tests.factories import complete_customer
from tests.tickets.queue_helpers import queue_ticket


def _block(page: str, testid: str) -> list[str]:
    if f'data-testid="{testid}"' not in page:
        return []
    block = page[page.index(f'data-testid="{testid}"') :]
    block = block[: block.index("</table>")]
    return re.findall(r'data-reference="(PD-\d+)"', block)


def test_the_profile_lists_open_requests_first_and_the_latest_finished_ones(
    agent, northwind, customer
):
    open_one = queue_ticket(northwind, customer=customer, state=State.VERIFYING)
    done = queue_ticket(northwind, customer=customer, state=State.CLOSED)
    someone_else = queue_ticket(northwind, customer=complete_customer(northwind))
    page = signed_in(agent).get(reverse("customers:profile", args=[customer.pk])).content.decode()
    assert _block(page, "customer-open-tickets") == [open_one.reference]
    assert _block(page, "customer-recent-tickets") == [done.reference]
    assert someone_else.reference not in page
    assert "1 open" in page


def test_a_customer_without_requests_says_so(agent, customer):
    page = signed_in(agent).get(reverse("customers:profile", args=[customer.pk])).content.decode()
    assert 'data-testid="no-open-tickets"' in page


def test_the_lists_are_bounded(agent, northwind, customer):
    for _ in range(CUSTOMER_OPEN_LIMIT + 2):
        queue_ticket(northwind, customer=customer)
    for _ in range(CUSTOMER_RECENT_LIMIT + 2):
        queue_ticket(northwind, customer=customer, state=State.CANCELLED)
    page = signed_in(agent).get(reverse("customers:profile", args=[customer.pk])).content.decode()
    assert len(_block(page, "customer-open-tickets")) == CUSTOMER_OPEN_LIMIT
    assert len(_block(page, "customer-recent-tickets")) == CUSTOMER_RECENT_LIMIT
    assert "More open requests than shown" in page
