"""The ticket page with several people on it (issue 14): the Claim / Take over buttons,
the presence poll (who, what, for whom), its cost, and a stale click answered with what
changed.

Attacks first: the poll of another client's ticket, names shown to someone without the
ticket, the poll's query budget, a claim posted without CSRF, `next` sending the browser
off the desk.
"""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from profiledesk.clients.models import Membership
from profiledesk.tickets.models import State, Ticket
from profiledesk.tickets.services import ticket_comment, ticket_take_over
from profiledesk.tickets.states import transition
from tests.conftest import make_staff, signed_in
from tests.factories import claimed
from tests.verification.helpers import email_key, open_ticket
from verification.services import otp_send


@pytest.fixture(autouse=True)
def _fresh_presence():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ticket(customer, agent):
    return open_ticket(customer, agent, verifying=False)


def live_url(ticket, *, v=None, p=None) -> str:
    url = reverse("tickets:live", args=[ticket.reference])
    if v is not None:
        url += f"?v={v}&p={p or ''}"
    return url


def detail(ticket) -> str:
    return reverse("tickets:detail", args=[ticket.reference])


# --- claim on the ticket page -----------------------------------------------------------


def test_the_ticket_page_offers_claim_and_comes_back_to_the_ticket(ticket, agent):
    claimed(ticket, None)
    http = signed_in(agent)
    page = http.get(detail(ticket)).content.decode()
    assert 'data-testid="claim"' in page
    assert "Nobody has claimed this ticket" in page
    response = http.post(
        reverse("tickets:claim", args=[ticket.reference]), {"next": detail(ticket)}
    )
    assert response["Location"] == detail(ticket)
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert "Claimed by you" in http.get(detail(ticket)).content.decode()


def test_a_claim_from_the_page_never_sends_the_browser_off_the_desk(ticket, agent):
    claimed(ticket, None)
    for target in ("https://evil.example" + detail(ticket), "//evil.example/", "/admin/"):
        response = signed_in(agent).post(
            reverse("tickets:claim", args=[ticket.reference]), {"next": target}
        )
        assert response["Location"] == reverse("tickets:queue")


def test_a_supervisor_sees_take_over_an_agent_does_not(ticket, personas, northwind):
    page = signed_in(personas["supervisor"]).get(detail(ticket)).content.decode()
    assert 'data-testid="take-over"' in page
    colleague = make_staff("agent2", "agent", northwind)
    page = signed_in(colleague).get(detail(ticket)).content.decode()
    assert 'data-testid="take-over"' not in page
    assert 'data-testid="claim"' not in page  # someone has it: no claim to offer
    assert f"Claimed by {personas['agent']}" in page


def test_take_over_from_the_page_is_recorded(ticket, personas):
    supervisor = personas["supervisor"]
    response = signed_in(supervisor).post(
        reverse("tickets:take_over", args=[ticket.reference]),
        {"reason": "Agent went home", "next": detail(ticket)},
    )
    assert response["Location"] == detail(ticket)
    ticket.refresh_from_db()
    assert ticket.assignee == supervisor
    assert "Agent went home" in ticket.events.last().message


def test_an_agent_posting_take_over_is_refused_and_nothing_changes(ticket, northwind, agent):
    colleague = make_staff("agent2", "agent", northwind)
    response = signed_in(colleague).post(reverse("tickets:take_over", args=[ticket.reference]))
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_claim_and_take_over_need_the_csrf_token(ticket, personas):
    claimed(ticket, None)
    for name, who in (("tickets:claim", "agent"), ("tickets:take_over", "supervisor")):
        http = signed_in(personas[who])
        http.handler.enforce_csrf_checks = True
        response = http.post(reverse(name, args=[ticket.reference]))
        assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.assignee is None


# --- presence: who, for whom ----------------------------------------------------------------


def test_each_sees_the_other_within_a_poll(ticket, personas):
    agent, supervisor = personas["agent"], personas["supervisor"]
    signed_in(agent).get(detail(ticket))
    page = signed_in(supervisor).get(detail(ticket)).content.decode()
    assert f"{agent} is viewing" in page
    response = signed_in(agent).get(live_url(ticket, v=ticket.version, p=""))
    assert response.status_code == 200
    assert f"{supervisor} is viewing" in response.content.decode()


def test_nothing_changed_is_a_204(ticket, agent):
    http = signed_in(agent)
    ticket.refresh_from_db()
    assert http.get(live_url(ticket, v=ticket.version, p="")).status_code == 204


def test_a_change_is_a_200_saying_who_did_what(ticket, personas):
    agent, supervisor = personas["agent"], personas["supervisor"]
    ticket.refresh_from_db()
    seen = ticket.version
    ticket_take_over(ticket=ticket, by=supervisor)
    transition(ticket=ticket, to=State.VERIFYING, by=supervisor)
    response = signed_in(agent).get(live_url(ticket, v=seen, p=""))
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", response.content.decode())
    assert f"{supervisor} started verification" in text


def test_the_poll_of_another_clients_ticket_is_a_404_and_leaves_no_trace(ticket, personas):
    response = signed_in(personas["outsider"]).get(live_url(ticket))
    assert response.status_code == 404
    page = signed_in(personas["agent"]).get(detail(ticket)).content.decode()
    assert "outsider" not in page


def test_a_desk_admin_without_ticket_access_gets_no_poll(ticket, personas):
    assert signed_in(personas["desk_admin"]).get(live_url(ticket)).status_code == 403


def test_no_name_of_staff_who_no_longer_serve_the_client(ticket, personas, agent):
    supervisor = personas["supervisor"]
    signed_in(supervisor).get(detail(ticket))  # was here...
    Membership.objects.filter(user=supervisor).delete()  # ...and then left the client
    response = signed_in(agent).get(live_url(ticket, v=-1))
    assert str(supervisor) not in response.content.decode()


def test_the_poll_query_budget(ticket, agent, django_assert_max_num_queries):
    http = signed_in(agent)
    ticket.refresh_from_db()
    http.get(live_url(ticket, v=ticket.version, p=""))  # warm (content types, etc.)
    # Expect 5 queries for "nothing changed": session, user, OTP device, the user's
    # permissions (1, with their role names), the ticket (1, with its joins); presence is in
    # Redis (the cache in tests), never the database.
    with CaptureQueriesContext(connection) as unchanged:
        assert http.get(live_url(ticket, v=ticket.version, p="")).status_code == 204
    # A change adds the latest event (1) and the other viewers' names (1).
    ticket_comment(ticket=ticket, by=agent, body="note")
    with CaptureQueriesContext(connection) as changed:
        assert http.get(live_url(ticket, v=0, p="")).status_code == 200
    assert len(unchanged) == 5, [q["sql"] for q in unchanged]
    assert len(changed) <= len(unchanged) + 2, [q["sql"] for q in changed]


def test_the_poll_budget_does_not_grow_with_the_timeline_or_the_viewers(
    ticket, personas, northwind
):
    agent = personas["agent"]
    http = signed_in(agent)
    signed_in(personas["supervisor"]).get(live_url(ticket, v=0))  # one other viewer
    http.get(live_url(ticket, v=0))
    with CaptureQueriesContext(connection) as before:
        http.get(live_url(ticket, v=0))
    for n in range(20):
        ticket_comment(ticket=ticket, by=agent, body=f"note {n}")
    for n in range(5):
        signed_in(make_staff(f"viewer{n}", "agent", northwind)).get(live_url(ticket, v=0))
    with CaptureQueriesContext(connection) as after:
        response = http.get(live_url(ticket, v=0))
    assert response.content.decode().count('data-testid="viewer"') == 6
    assert len(after) == len(before)


# --- has it changed? ----------------------------------------------------------------------


def test_every_step_that_shows_on_the_page_bumps_the_version(ticket, customer, agent):
    def version() -> int:
        return Ticket.objects.values_list("version", flat=True).get(pk=ticket.pk)

    start = version()
    transition(ticket=ticket, to=State.VERIFYING, by=agent)
    after_move = version()
    otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))  # an OTP challenge
    after_code = version()
    history = Ticket.history.filter(id=ticket.pk).count()
    ticket_comment(ticket=ticket, by=agent, body="Customer on hold")
    assert start < after_move < after_code < version()
    # The counter leaves no history row of its own (a comment writes none on the ticket).
    assert Ticket.history.filter(id=ticket.pk).count() == history


# --- a stale click ------------------------------------------------------------------------


def test_a_move_someone_else_overtook_is_answered_with_what_changed(ticket, personas):
    agent, supervisor = personas["agent"], personas["supervisor"]
    ticket_take_over(ticket=ticket, by=supervisor)
    transition(ticket=ticket, to=State.VERIFYING, by=supervisor)
    response = signed_in(agent).post(
        reverse("tickets:move", args=[ticket.reference]),
        {"to": State.VERIFYING, "seen_state": State.NEW, "seen_assignee": str(agent.pk)},
        follow=True,
    )
    text = response.content.decode()
    assert re.search(
        rf"{supervisor} started verification at \d\d:\d\d; the page now shows it\.", text
    )
    assert "cannot become" not in text


def test_a_claim_someone_else_won_is_answered_with_who(ticket, personas, northwind):
    claimed(ticket, None)
    colleague = make_staff("agent2", "agent", northwind)
    signed_in(colleague).post(reverse("tickets:claim", args=[ticket.reference]))
    response = signed_in(personas["agent"]).post(
        reverse("tickets:claim", args=[ticket.reference]),
        {"seen_state": ticket.state, "seen_assignee": "", "next": detail(ticket)},
        follow=True,
    )
    assert f"{colleague} claimed it at " in response.content.decode()


def test_a_refusal_on_a_current_page_is_the_steps_own(ticket, personas, northwind):
    colleague = make_staff("agent2", "agent", northwind)
    response = signed_in(colleague).post(
        reverse("tickets:move", args=[ticket.reference]),
        {"to": State.VERIFYING, "seen_state": State.NEW, "seen_assignee": str(ticket.assignee_id)},
        follow=True,
    )
    assert f"Claim this ticket first — it is assigned to {personas['agent']}." in (
        response.content.decode()
    )


def test_a_wizard_step_from_a_stale_page_reloads_it_with_what_changed(ticket, personas, customer):
    agent, supervisor = personas["agent"], personas["supervisor"]
    transition(ticket=ticket, to=State.VERIFYING, by=agent)
    http = signed_in(agent)
    ticket_take_over(ticket=ticket, by=supervisor)
    transition(ticket=ticket, to=State.CANCELLED, by=supervisor, reason="caller hung up")
    response = http.post(
        reverse("verification:otp_send", args=[ticket.reference]),
        {"contact": email_key(customer), "seen_state": State.VERIFYING},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    assert response["HX-Refresh"] == "true"
    page = http.get(detail(ticket)).content.decode()
    assert f"{supervisor} cancelled it at" in page
