"""The approval queue refreshes itself like the ticket queue: the page carries a
background poll of its own URL, and htmx's request is answered with the list only."""

import pytest
from django.urls import reverse

from tests.conftest import signed_in

from .helpers import pending_ticket

pytestmark = pytest.mark.usefixtures("clock")
QUEUE = reverse("approvals:queue")


def test_the_page_polls_its_own_list_in_the_background(customer, personas):
    page = signed_in(personas["supervisor"]).get(QUEUE).content.decode()
    assert 'hx-get="/approvals/"' in page and 'hx-trigger="every 20s"' in page
    assert '"X-Desk-Background": "1"' in page  # not activity for the idle sign-out
    assert 'id="approval-news"' in page and "desk/approvals.js" in page


def test_the_refresh_gets_the_list_alone_with_each_ticket_marked_for_the_announcement(
    customer, personas
):
    ticket = pending_ticket(customer, personas["agent"])
    http = signed_in(personas["supervisor"])
    answer = http.get(QUEUE, headers={"HX-Request": "true", "X-Desk-Background": "1"})
    body = answer.content.decode()
    assert body.lstrip().startswith('<div id="approval-list">')
    assert "<html" not in body and 'id="approval-news"' not in body
    assert f'data-reference="{ticket.reference}"' in body
