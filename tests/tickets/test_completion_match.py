"""Matching a request that arrived without a customer (inbound e-mail, the API) to one,
from the ticket page (profiledesk/tickets/completion.py `ticket_match`, the views in
completion_views.py). The abuse cases first: another client's customer, a ticket already
matched, a ticket past `new`, a frozen profile, hostile search strings, an outsider."""

import threading
import time

import pytest
from django.db import connection
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from profiledesk.accounts.roles import Role
from profiledesk.customers.services import customer_freeze
from profiledesk.tickets import completion
from profiledesk.tickets.completion import ticket_match
from profiledesk.tickets.models import Channel, State, Ticket, TicketEvent
from profiledesk.tickets.services import TicketError, ticket_create
from profiledesk.tickets.states import transition
from tests.conftest import make_staff, signed_in
from tests.factories import MembershipFactory, claimed, complete_customer

CARD = "4111 1111 1111 1111"


def unmatched(client, *, assignee=None) -> Ticket:
    """A ticket as inbound e-mail opens one when no single customer has the sender's address."""
    ticket = ticket_create(
        client=client,
        channel=Channel.EMAIL,
        category="contact",
        items=[],
        summary="By e-mail: new phone",
        comment="Received by e-mail from someone@example.net.\n\nMy new mobile is 07700 900123.",
    )
    if assignee is not None:  # the floor claims before working (issue 14)
        ticket.assignee = assignee
        ticket.save(update_fields=["assignee"])
    return ticket


@pytest.fixture
def ticket(northwind, agent):
    return unmatched(northwind, assignee=agent)


def match_url(ticket):
    return reverse("tickets:match", args=[ticket.reference])


def search_url(ticket):
    return reverse("tickets:match_search", args=[ticket.reference])


# --- abuse cases -------------------------------------------------------------------------


def test_another_clients_customer_posted_directly_is_not_found(ticket, agent, solaris):
    stranger = complete_customer(solaris, legal_name="Sol Customer")
    response = signed_in(agent).post(match_url(ticket), {"customer": stranger.pk})
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.customer is None
    assert not AuditEvent.objects.filter(action="ticket.matched").exists()


def test_staff_of_both_clients_cannot_match_a_customer_of_the_other_client(ticket, agent, solaris):
    MembershipFactory(user=agent, client=solaris)  # sees Solaris' customers too
    stranger = complete_customer(solaris, legal_name="Sol Customer")
    response = signed_in(agent).post(match_url(ticket), {"customer": stranger.pk}, follow=True)
    assert "not a customer of this request&#x27;s client" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.customer is None


def test_a_matched_ticket_cannot_be_matched_again(ticket, agent, customer, northwind):
    other = complete_customer(northwind, legal_name="Ada Lovelace")
    ticket_match(ticket=ticket, customer=customer, by=agent)
    with pytest.raises(TicketError, match="already matched"):
        ticket_match(ticket=Ticket.objects.get(pk=ticket.pk), customer=other, by=agent)
    # A stale page (loaded before the first match) is refused the same way, under the lock.
    stale = Ticket.objects.get(pk=ticket.pk)
    stale.customer = None
    with pytest.raises(TicketError, match="already matched"):
        ticket_match(ticket=stale, customer=other, by=agent)
    assert Ticket.objects.get(pk=ticket.pk).customer == customer
    assert AuditEvent.objects.filter(action="ticket.matched").count() == 1


@pytest.mark.parametrize("state", [State.READY, State.CANCELLED, State.ESCALATED, State.CLOSED])
def test_no_match_once_the_caller_is_verified_or_the_ticket_is_done(ticket, agent, customer, state):
    if state in (State.READY, State.CLOSED):
        ticket.state = state  # reached only through verification (and apply): set here
        ticket.save(update_fields=["state"])
    else:
        transition(ticket=ticket, to=state, by=agent, reason="no")
    with pytest.raises(TicketError, match="before the caller is verified"):
        ticket_match(ticket=Ticket.objects.get(pk=ticket.pk), customer=customer, by=agent)
    page = signed_in(agent).get(reverse("tickets:detail", args=[ticket.reference]))
    assert 'data-testid="match"' not in page.content.decode()


def test_no_rematch_once_verification_started(ticket, agent, customer, northwind):
    from profiledesk.tickets.completion import ticket_capture

    ticket_match(ticket=ticket, customer=customer, by=agent)
    ticket_capture(
        ticket=ticket, by=agent, category="contact", cleaned_data={"email": "g.new@example.com"}
    )
    transition(ticket=ticket, to=State.VERIFYING, by=agent)
    other = complete_customer(northwind, legal_name="Ada Lovelace")
    with pytest.raises(TicketError, match="already matched"):
        ticket_match(ticket=Ticket.objects.get(pk=ticket.pk), customer=other, by=agent)
    assert Ticket.objects.get(pk=ticket.pk).customer == customer


def test_a_request_security_returned_to_the_flow_unmatched_can_still_be_completed(
    ticket, agent, customer, personas
):
    # No dead end: verifying, but nobody could verify anyone (no customer), so it is matched.
    transition(ticket=ticket, to=State.ESCALATED, by=agent, reason="Odd sender")
    transition(ticket=ticket, to=State.VERIFYING, by=personas["security"], reason="Looks fine")
    page = signed_in(agent).get(reverse("tickets:detail", args=[ticket.reference]))
    assert 'data-testid="match"' in page.content.decode()
    ticket_match(ticket=Ticket.objects.get(pk=ticket.pk), customer=customer, by=agent)
    page = signed_in(agent).get(reverse("tickets:detail", args=[ticket.reference]))
    assert 'data-testid="capture-card"' in page.content.decode()


def test_a_frozen_customer_is_matched_with_critical_risk_and_takes_no_change(
    ticket, agent, customer, personas
):
    customer_freeze(customer=customer, by=personas["security"], reason="Reported takeover")
    ticket_match(ticket=ticket, customer=customer, by=agent)
    ticket.refresh_from_db()
    # Security sees the request against the frozen profile; nothing proceeds past it.
    assert ticket.risk_level == "critical"
    assert "frozen" in ticket.events.get(kind=TicketEvent.Kind.NOTE).message
    page = signed_in(agent).get(reverse("tickets:detail", args=[ticket.reference]))
    assert "no change is taken until security lifts it" in page.content.decode()
    capture = signed_in(agent).get(reverse("tickets:capture", args=[ticket.reference]))
    assert capture.status_code == 302


def test_an_outsider_can_neither_search_nor_match(ticket, personas, customer):
    http = signed_in(personas["outsider"])
    assert http.post(search_url(ticket), {"q": "Grace"}).status_code == 404
    assert http.post(match_url(ticket), {"customer": customer.pk}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.customer is None


@pytest.mark.parametrize("role", ["compliance", "security", "desk_admin"])
def test_roles_that_do_not_work_tickets_cannot_match(ticket, personas, customer, role):
    http = signed_in(personas[role])
    assert http.post(match_url(ticket), {"customer": customer.pk}).status_code == 403
    assert http.post(search_url(ticket), {"q": "Grace"}).status_code == 403


@pytest.mark.parametrize("posted", [{}, {"customer": "x"}, {"customer": "-3"}, {"customer": "1e9"}])
def test_a_bad_customer_id_is_a_message_not_a_500(ticket, agent, posted):
    response = signed_in(agent).post(match_url(ticket), posted, follow=True)
    assert response.status_code == 200
    assert "Choose a customer." in response.content.decode()


def test_a_card_number_typed_into_the_search_is_refused_and_not_echoed(ticket, agent, customer):
    response = signed_in(agent).post(search_url(ticket), {"q": CARD})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Card numbers are not searched" in html
    assert "4111" not in html and "1111 1111" not in html
    assert "Grace Hopper" not in html


@pytest.fixture
def solaris_customer_known_to_agent(agent, solaris):
    MembershipFactory(user=agent, client=solaris)
    return complete_customer(solaris, legal_name="Grace Hopper Solaris")


HOSTILE = st.sampled_from(
    ["Grace", "SOL-", "@example", "+34", "' OR 1=1 --", "%", "_", "\\", "<script>", "\u202e",
     "\x00", "Grace\u200b", "\U0001d406race", "a" * 200, CARD]
)  # fmt: skip


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    query=st.one_of(st.text(max_size=300), st.tuples(HOSTILE, st.text(max_size=20)).map("".join))
)
def test_any_search_string_answers_with_the_tickets_clients_customers_only(
    ticket, agent, customer, solaris_customer_known_to_agent, query
):
    stranger = solaris_customer_known_to_agent
    response = signed_in(agent).post(search_url(ticket), {"q": query}, HTTP_HX_REQUEST="true")
    # Never a 500; never the other client's customer; never a card number echoed.
    assert response.status_code == 200
    html = response.content.decode()
    assert stranger.number not in html
    assert "4111" not in html


def test_the_search_finds_only_the_tickets_clients_customers(
    ticket, agent, customer, solaris_customer_known_to_agent
):
    # The agent serves both clients: the desk's search would find both Graces.
    response = signed_in(agent).post(search_url(ticket), {"q": "Grace"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert customer.number in html
    assert solaris_customer_known_to_agent.number not in html


def test_search_results_are_masked_as_on_the_customer_search(ticket, agent, customer):
    email = customer.emails.get(is_primary=True).email
    phone = customer.phones.get(is_primary=True).number
    html = signed_in(agent).post(search_url(ticket), {"q": "Grace"}).content.decode()
    assert customer.number in html
    assert email not in html and phone not in html
    assert "•" in html


# --- the match itself --------------------------------------------------------------------


def test_matching_records_the_customer_on_the_timeline_and_in_the_audit_log(
    ticket, agent, customer
):
    response = signed_in(agent).post(match_url(ticket), {"customer": customer.pk}, follow=True)
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.customer == customer
    note = ticket.events.get(kind=TicketEvent.Kind.NOTE)
    assert note.actor == agent and customer.number in note.message
    audit = AuditEvent.objects.get(action="ticket.matched")
    assert audit.actor == agent and audit.target_id == str(ticket.pk)
    assert audit.data["customer"] == customer.number
    assert ticket.history.latest().customer_id == customer.pk
    html = response.content.decode()
    assert f"is matched to Grace Hopper ({customer.number})" in html
    assert 'data-testid="match"' not in html


def test_matching_reassesses_risk_with_what_is_known_of_the_customer(ticket, agent, customer):
    customer.is_flagged = True
    customer.save(update_fields=["is_flagged"])
    assert ticket.risk_score == 0 or all(
        r["rule"] != "customer_flagged" for r in ticket.risk_reasons
    )
    ticket_match(ticket=ticket, customer=customer, by=agent)
    ticket.refresh_from_db()
    assert any("flagged" in r["reason"] for r in ticket.risk_reasons)


def test_the_unmatched_ticket_page_offers_the_search_and_no_verification(ticket, agent):
    html = signed_in(agent).get(reverse("tickets:detail", args=[ticket.reference])).content
    html = html.decode()
    assert 'data-testid="match"' in html
    assert ">Start verification</button>" not in html


def test_the_match_page_without_javascript_shows_the_message_and_results(ticket, agent, customer):
    response = signed_in(agent).post(search_url(ticket), {"q": "Hopper"})
    html = response.content.decode()
    assert "My new mobile is 07700 900123." in html  # the e-mail, beside the search
    assert f'name="customer" value="{customer.pk}"' in html


def test_an_api_requests_items_show_what_they_replace_once_matched(northwind, agent, customer):
    # The API's form with no customer: every value new, no old value known.
    from profiledesk.intake.capture import drafts_for
    from profiledesk.intake.forms import form_for

    form = form_for(
        "personal", customer=None, client=northwind, data={"preferred_name": "Amazing Grace"}
    )
    assert form.is_valid(), form.errors
    ticket = ticket_create(
        client=northwind,
        channel=Channel.API,
        category="personal",
        items=drafts_for(category="personal", cleaned_data=form.cleaned_data, customer=None),
    )
    item = ticket.items.get()
    assert item.old_display == ""
    customer.personal.preferred_name = "Grace"
    customer.personal.save()
    claimed(ticket, agent)
    ticket_match(ticket=ticket, customer=customer, by=agent)
    item.refresh_from_db()
    assert item.old_display == "Grace"
    assert item.history.latest().history_user == agent


def test_every_field_a_request_can_change_shows_its_value_now_masked_or_nothing(customer):
    from profiledesk.intake.capture import FIELD_SPECS, value_now
    from profiledesk.privacy.sensitivity import SECRET

    customer.personal.national_id = "AB123456C"
    customer.personal.save()
    for section, field in FIELD_SPECS:
        shown = value_now(section=section, field=field, customer=customer)
        assert shown is None or isinstance(shown, str)
        if FIELD_SPECS[(section, field)].policy == SECRET:
            assert not shown
    assert "AB123456C" not in value_now(
        section="personal", field="personaldetails.national_id", customer=customer
    )


@pytest.mark.parametrize("namesakes", [1, 6])
def test_the_match_search_query_budget_does_not_grow_with_the_results(
    ticket, agent, northwind, namesakes, django_assert_num_queries
):
    for _ in range(namesakes):
        complete_customer(northwind, legal_name="Grace Hopper")
    http = signed_in(agent)
    url = search_url(ticket)
    http.post(url, {"q": "Hopper"}, HTTP_HX_REQUEST="true")  # warm the session's cached bits
    # Expect 6: session, user, OTP device, permissions (and role names, one query:
    # accounts/permissions.py), the ticket with its client, customer and people, the
    # customers (scoped in the same query) with their primary e-mail and phone
    # (subqueries).
    with django_assert_num_queries(QUERIES_MATCH_SEARCH):
        response = http.post(url, {"q": "Hopper"}, HTTP_HX_REQUEST="true")
    assert response.content.decode().count('name="customer"') == namesakes


QUERIES_MATCH_SEARCH = 6


def race(monkeypatch, *presses) -> list[str]:
    """Run `presses` (callables) at once, the first to take the ticket's row lock holding
    it a while; each outcome is "matched" or the refusal's message."""
    original = completion.match_problem

    def slow_problem(locked):
        time.sleep(0.3)  # hold the row lock while the other request arrives
        return original(locked)

    monkeypatch.setattr(completion, "match_problem", slow_problem)
    barrier = threading.Barrier(len(presses))
    outcomes: list[str] = []

    def run(press):
        barrier.wait()
        try:
            press()
            outcomes.append("matched")
        except TicketError as error:
            outcomes.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(press,)) for press in presses]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_agents_claiming_and_matching_at_once_give_one_owner_and_one_match(
    monkeypatch, personas, northwind, customer
):
    # Matching needs the claim, so two agents racing to complete a request race on the
    # claim: one owns it and matches it; the other is told who has it and matches nothing.
    from profiledesk.tickets.services import ticket_claim

    ticket = unmatched(northwind)
    second = make_staff("agent-two", Role.AGENT, northwind)
    ada = complete_customer(northwind, legal_name="Ada Lovelace")

    def claim_and_match(user, who):
        def press():
            ticket_claim(ticket=Ticket.objects.get(pk=ticket.pk), by=user)
            ticket_match(ticket=Ticket.objects.get(pk=ticket.pk), customer=who, by=user)

        return press

    outcomes = race(
        monkeypatch,
        claim_and_match(personas["agent"], customer),
        claim_and_match(second, ada),
    )
    ticket.refresh_from_db()
    owner, loser = (
        (personas["agent"], second)
        if ticket.assignee == personas["agent"]
        else (second, personas["agent"])
    )
    assert ticket.assignee == owner
    assert outcomes == sorted(["matched", f"{owner} has already claimed this ticket."])
    assert ticket.customer == (customer if owner == personas["agent"] else ada)
    assert AuditEvent.objects.filter(action="ticket.matched").count() == 1
    assert not AuditEvent.objects.filter(action="ticket.matched", actor=loser).exists()
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.NOTE).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_one_agent_matching_from_two_tabs_at_once_gives_one_match(
    monkeypatch, personas, northwind, customer
):
    # The one holding the claim submits two matches at once (two tabs, a double click):
    # the row lock lets one through; the other is told the request is matched already.
    agent = personas["agent"]
    ticket = unmatched(northwind, assignee=agent)
    ada = complete_customer(northwind, legal_name="Ada Lovelace")

    def match(who):
        return lambda: ticket_match(ticket=Ticket.objects.get(pk=ticket.pk), customer=who, by=agent)

    outcomes = race(monkeypatch, match(customer), match(ada))
    assert outcomes == sorted(["matched", "This request is already matched to a customer."])
    ticket.refresh_from_db()
    assert ticket.customer in (customer, ada)
    assert AuditEvent.objects.filter(action="ticket.matched").count() == 1
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.NOTE).count() == 1


def api_ticket(client, category: str, changes: dict) -> Ticket:
    """A ticket as the API opens one without `customer` (api/changes.py capture_form)."""
    from profiledesk.api.changes import capture_form
    from profiledesk.intake.capture import drafts_for

    form = capture_form(client=client, category=category, changes=changes, customer=None)
    assert form.is_valid(), form.errors
    return ticket_create(
        client=client,
        channel=Channel.API,
        category=category,
        items=drafts_for(category=category, cleaned_data=form.cleaned_data, customer=None),
    )


def test_an_api_requests_new_email_replaces_the_primary_once_matched(northwind, agent, customer):
    # What the API promises: a new e-mail replaces the primary one, as if the customer had
    # been named in the request (the desk's pre-selection).
    ticket = api_ticket(northwind, "contact", {"email": "grace.new@example.com"})
    assert set(ticket.items.values_list("field", flat=True)) == {
        "emailaddress.email",
        "emailaddress.is_primary",
    }
    primary = customer.emails.get(is_primary=True)
    claimed(ticket, agent)
    ticket_match(ticket=ticket, customer=customer, by=agent)
    [item] = ticket.items.all()
    assert (item.field, item.target_id) == ("emailaddress.email", primary.pk)
    assert item.old_display and primary.email not in item.old_display  # masked
    assert "replaces the customer's primary one" in (
        ticket.events.get(kind=TicketEvent.Kind.NOTE).message
    )


def test_an_api_requests_new_phone_stays_a_new_primary_for_a_customer_without_one(northwind, agent):
    customer = complete_customer(northwind, legal_name="No Phone", phones=0)
    ticket = api_ticket(northwind, "contact", {"phone": "+447911123456"})
    claimed(ticket, agent)
    ticket_match(ticket=ticket, customer=customer, by=agent)
    fields = dict(ticket.items.values_list("field", "target_id"))
    assert fields["phonenumber.number"] is None and "phonenumber.is_primary" in fields


def test_a_matched_api_email_change_applies_as_a_replacement_of_the_primary(
    northwind, personas, customer
):
    from profiledesk.apply.services import ticket_apply
    from profiledesk.approvals.rules import plan_for
    from tests.apply.helpers import approve, prove_contacts
    from tests.approvals.helpers import verify
    from verification.services import verification_complete

    agent = personas["agent"]
    primary = customer.emails.get(is_primary=True)
    emails_before = customer.emails.count()
    ticket = api_ticket(northwind, "contact", {"email": "grace.new@example.com"})
    claimed(ticket, agent)
    ticket_match(ticket=ticket, customer=customer, by=agent)
    ticket = Ticket.objects.get(pk=ticket.pk)
    transition(ticket=ticket, to=State.VERIFYING, by=agent)
    verify(ticket, agent, level=2)
    prove_contacts(ticket, agent)
    verification_complete(ticket=ticket, by=agent)
    ticket.refresh_from_db()
    if plan_for(ticket).tiers:
        approve(ticket, personas)
    ticket_apply(ticket=ticket, by=agent)
    primary.refresh_from_db()
    assert primary.email == "grace.new@example.com" and primary.is_primary
    assert customer.emails.count() == emails_before  # replaced, not added beside
