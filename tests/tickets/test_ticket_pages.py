"""Taking a request from a call (new request page) and the one-screen ticket page."""

import pytest
from django.urls import reverse

from profiledesk.tickets.models import ChangeItem, State, Ticket, TicketEvent
from tests.conftest import signed_in
from tests.factories import TicketFactory


def _new_url(customer, **query):
    url = reverse("tickets:new", args=[customer.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_an_agent_opens_an_address_change_from_a_call(agent, customer):
    http = signed_in(agent)
    form_page = http.get(_new_url(customer, channel="phone", category="contact"))
    assert form_page.status_code == 200
    assert "Postal code" in form_page.content.decode()
    response = http.post(
        _new_url(customer),
        {
            "channel": "phone",
            "category": "contact",
            "summary": "Moving house",
            "address_line1": "221B Baker Street",
            "address_city": "London",
            "address_postal_code": "nw1 6xe",
            "address_country": "GB",
            "address_kind": "home",
            "address_make_primary": "on",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:detail", args=[ticket.reference])
    assert (ticket.state, ticket.channel, ticket.category) == (State.NEW, "phone", "contact")
    assert ticket.assignee == agent and ticket.created_by == agent
    postcode = ticket.items.get(field="postaladdress.postal_code")
    assert postcode.new_value == "NW1 6XE"
    assert ticket.events.filter(kind=TicketEvent.Kind.CREATED).exists()


def test_a_bad_value_is_a_message_on_the_field_and_nothing_is_saved(agent, customer):
    http = signed_in(agent)
    response = http.post(
        _new_url(customer),
        {"channel": "phone", "category": "contact", "email": "not-an-address", "phone": "12"},
    )
    assert response.status_code == 200
    form = response.context["change_form"]
    assert "email" in form.errors and "phone" in form.errors
    assert not Ticket.objects.exists() and not ChangeItem.objects.exists()


def test_a_card_number_never_reaches_the_ticket_or_the_page(agent, customer):
    http = signed_in(agent)
    number = "4111111111111111"
    response = http.post(
        _new_url(customer),
        {
            "channel": "phone",
            "category": "billing",
            "card_number": number,
            "card_exp_month": "12",
            "card_exp_year": "2030",
            "card_holder_name": "Grace Hopper",
        },
    )
    ticket = Ticket.objects.get()
    page = http.get(response["Location"]).content.decode()
    assert number not in page
    for item in ticket.items.all():
        assert number not in f"{item.new_value}{item.new_display}{item.old_display}"


def test_compliance_cannot_open_requests(personas, customer):
    response = signed_in(personas["compliance"]).get(_new_url(customer))
    assert response.status_code == 403


@pytest.fixture
def ticket(customer, agent):
    return TicketFactory(customer=customer, created_by=agent)


def test_the_ticket_page_shows_items_risk_sla_and_only_allowed_actions(ticket, personas):
    page = signed_in(personas["agent"]).get(reverse("tickets:detail", args=[ticket.reference]))
    html = page.content.decode()
    assert page.status_code == 200
    assert ticket.reference in html and "n•••@example.com" in html
    assert "new.address@example.com" not in html
    assert 'type="submit">Start verification</button>' in html
    compliance_html = (
        signed_in(personas["compliance"])
        .get(reverse("tickets:detail", args=[ticket.reference]))
        .content.decode()
    )
    assert 'type="submit">Start verification</button>' not in compliance_html


def test_a_move_from_the_page_goes_through_the_state_machine(ticket, agent):
    http = signed_in(agent)
    http.post(reverse("tickets:move", args=[ticket.reference]), {"to": "verifying"})
    ticket.refresh_from_db()
    assert ticket.state == State.VERIFYING
    # An illegal move is refused with a message, not a 500.
    response = http.post(
        reverse("tickets:move", args=[ticket.reference]), {"to": "applied"}, follow=True
    )
    assert response.status_code == 200
    assert "cannot become" in response.content.decode()


def test_comments_are_stored_with_card_numbers_masked(ticket, agent):
    signed_in(agent).post(
        reverse("tickets:comment", args=[ticket.reference]),
        {"body": "She read 5555 5555 5555 4444 aloud, told her not to"},
    )
    comment = ticket.events.get(kind=TicketEvent.Kind.COMMENT)
    assert "5555 5555 5555 4444" not in comment.message and "4444" in comment.message


QUERIES_TICKET_PAGE = 11


@pytest.mark.parametrize("comments", [1, 12])
def test_ticket_page_query_budget_does_not_grow_with_the_timeline(
    ticket, agent, comments, django_assert_num_queries
):
    http = signed_in(agent)
    for i in range(comments):
        TicketEvent.objects.create(
            ticket=ticket, at=ticket.created_at, actor=agent, kind="comment", message=f"note {i}"
        )
    url = reverse("tickets:detail", args=[ticket.reference])
    http.get(url)  # warm the session's cached bits
    # Expect 11: session, user, OTP device, permissions and role names (one query), the
    # ticket with its client, customer and people, its items (read once: every rule and
    # panel reads them from the prefetch), its timeline with actors, the policy (read once a
    # request, policies.defaults.policy_for); the verification panel adds the customer's
    # lock-out, the ticket's attempts (its passes and the evidence list, one read: the
    # page's page_memo) and the proofs of its new e-mail (a contact change as intake
    # captures it) (verification.selectors.panel_context).
    with django_assert_num_queries(QUERIES_TICKET_PAGE):
        assert http.get(url).status_code == 200


def test_an_escalated_ticket_can_only_be_claimed_by_security(customer, personas):
    from profiledesk.tickets.services import TicketError, ticket_claim
    from profiledesk.tickets.states import transition

    ticket = TicketFactory(customer=customer, created_by=None, channel="email")
    transition(ticket=ticket, to=State.ESCALATED, by=personas["agent"], reason="Odd request")
    with pytest.raises(TicketError, match="security"):
        ticket_claim(ticket=ticket, by=personas["agent"])
    assert ticket_claim(ticket=ticket, by=personas["security"]).assignee == personas["security"]


def test_tickets_are_reassigned_only_to_people_who_work_tickets(customer, personas):
    from profiledesk.tickets.services import TicketError, ticket_reassign

    ticket = TicketFactory(customer=customer, created_by=personas["agent"])
    with pytest.raises(TicketError, match="does not work tickets"):
        ticket_reassign(ticket=ticket, to=personas["compliance"], by=personas["supervisor"])
    moved = ticket_reassign(ticket=ticket, to=personas["supervisor"], by=personas["supervisor"])
    assert moved.assignee == personas["supervisor"]


def test_a_desk_admin_starts_in_the_administration(personas):
    response = signed_in(personas["desk_admin"]).get("/")
    assert response["Location"] == reverse("admin:index")


def test_submitting_for_approval_cannot_skip_its_own_checks_through_the_move_form(ticket, agent):
    ticket.state = State.READY  # setup: verified already (save(): history records it)
    ticket.save(update_fields=["state"])
    response = signed_in(agent).post(
        reverse("tickets:move", args=[ticket.reference]), {"to": "pending_approval"}, follow=True
    )
    ticket.refresh_from_db()
    assert ticket.state == State.READY
    assert "Submit for approval" in response.content.decode()
