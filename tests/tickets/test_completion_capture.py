"""Capturing the change of a request that arrived without one (inbound e-mail), on the
ticket, through the New request page's category forms (profiledesk/tickets/completion.py
`ticket_capture`). Abuse cases first: no customer yet, a change captured already, after
verification started, a frozen profile, another customer's row, a card number, an outsider."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from profiledesk.customers.services import customer_freeze
from profiledesk.intake.forms import form_for
from profiledesk.tickets.completion import ticket_capture, ticket_match
from profiledesk.tickets.models import ChangeItem, State, Ticket, TicketEvent
from profiledesk.tickets.services import TicketError
from profiledesk.tickets.states import allowed_moves, transition
from tests.conftest import signed_in
from tests.factories import complete_customer
from tests.tickets.test_completion_match import unmatched

CARD = "4111 1111 1111 1111"


@pytest.fixture
def ticket(northwind, agent, customer):
    ticket = unmatched(northwind, assignee=agent)
    ticket_match(ticket=ticket, customer=customer, by=agent)
    return Ticket.objects.select_related("customer").get(pk=ticket.pk)


def capture_url(ticket, category=None):
    url = reverse("tickets:capture", args=[ticket.reference])
    return f"{url}?category={category}" if category else url


def cleaned(ticket, category, data):
    form = form_for(category, customer=ticket.customer, data=data)
    assert form.is_valid(), form.errors
    return form.cleaned_data


# --- abuse cases -------------------------------------------------------------------------


def test_no_capture_before_the_ticket_is_matched(northwind, agent):
    ticket = unmatched(northwind, assignee=agent)
    response = signed_in(agent).get(capture_url(ticket), follow=True)
    assert "Match the request to a customer first." in response.content.decode()
    with pytest.raises(TicketError, match="Match the request"):
        ticket_capture(
            ticket=ticket, by=agent, category="contact", cleaned_data={"email": "a@b.example"}
        )
    assert not ChangeItem.objects.exists()


def test_a_second_capture_is_refused_and_a_stale_page_too(ticket, agent):
    data = cleaned(ticket, "contact", {"email": "grace.new@example.com", "email_target": ""})
    ticket_capture(ticket=ticket, by=agent, category="contact", cleaned_data=data)
    with pytest.raises(TicketError, match="captured already"):
        ticket_capture(ticket=ticket, by=agent, category="contact", cleaned_data=data)
    response = signed_in(agent).post(
        capture_url(ticket), {"category": "contact", "email": "other@example.com"}, follow=True
    )
    assert "captured already" in response.content.decode()
    assert ticket.items.count() == 1


def test_no_capture_once_the_caller_is_verified(ticket, agent):
    data = cleaned(ticket, "contact", {"email": "grace.new@example.com"})
    ticket.state = State.READY  # verified (reached through the wizard): set here
    ticket.save(update_fields=["state"])
    with pytest.raises(TicketError, match="before the caller is verified"):
        ticket_capture(ticket=ticket, by=agent, category="contact", cleaned_data=data)
    assert not ticket.items.exists()


def test_a_change_captured_once_stays_captured_while_verifying(ticket, agent):
    data = cleaned(ticket, "contact", {"email": "grace.new@example.com"})
    ticket_capture(ticket=ticket, by=agent, category="contact", cleaned_data=data)
    transition(ticket=ticket, to=State.VERIFYING, by=agent)
    other = cleaned(ticket, "contact", {"email": "someone.else@example.com"})
    with pytest.raises(TicketError, match="captured already"):
        ticket_capture(ticket=ticket, by=agent, category="contact", cleaned_data=other)
    assert list(ticket.items.values_list("new_value", flat=True)) == ["grace.new@example.com"]


def test_a_cancelled_ticket_takes_no_change(ticket, agent):
    transition(ticket=ticket, to=State.CANCELLED, by=agent, reason="Duplicate")
    response = signed_in(agent).post(
        capture_url(ticket), {"category": "contact", "email": "x@example.com"}
    )
    assert response.status_code == 302
    assert not ticket.items.exists()


def test_a_frozen_profile_takes_no_change(ticket, agent, customer, personas):
    customer_freeze(customer=customer, by=personas["security"], reason="Takeover reported")
    response = signed_in(agent).post(
        capture_url(ticket), {"category": "contact", "email": "x@example.com"}, follow=True
    )
    assert "profile is frozen" in response.content.decode()
    assert not ticket.items.exists()


def test_another_customers_row_cannot_be_targeted(ticket, agent, northwind):
    other = complete_customer(northwind, legal_name="Ada Lovelace")
    theirs = other.emails.get(is_primary=True)
    response = signed_in(agent).post(
        capture_url(ticket),
        {"category": "contact", "email": "grace.new@example.com", "email_target": theirs.pk},
    )
    assert response.status_code == 400
    assert "Not one of the allowed values." in response.content.decode()
    assert not ticket.items.exists()


def test_a_card_number_is_vaulted_never_stored_or_echoed(ticket, agent):
    response = signed_in(agent).post(
        capture_url(ticket),
        {
            "category": "billing",
            "card_number": CARD,
            "card_exp_month": "12",
            "card_exp_year": "2099",
            "card_holder_name": "",  # missing: the form is shown again
        },
    )
    assert response.status_code == 400
    assert "4111" not in response.content.decode()
    response = signed_in(agent).post(
        capture_url(ticket),
        {
            "category": "billing",
            "card_number": CARD,
            "card_exp_month": "12",
            "card_exp_year": "2099",
            "card_holder_name": "Grace Hopper",
        },
    )
    assert response.status_code == 302
    items = list(ticket.items.all())
    assert items and all("4111111111111111" not in i.new_value for i in items)
    assert all(CARD not in e.message for e in ticket.events.all())
    ticket.refresh_from_db()
    assert ticket.category == "billing"


def test_a_cvv_under_any_name_is_refused(ticket, agent):
    response = signed_in(agent).post(
        capture_url(ticket), {"category": "contact", "email": "g@example.com", "cvv": "123"}
    )
    assert response.status_code == 400
    assert not ticket.items.exists()


@pytest.mark.parametrize("category", ["nonsense", "<script>alert(1)</script>", ""])
def test_an_unknown_category_is_a_field_message_not_a_500(ticket, agent, category):
    response = signed_in(agent).get(capture_url(ticket) + f"?category={category}")
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()
    response = signed_in(agent).post(capture_url(ticket), {"category": category, "x": "1"})
    assert response.status_code == 400
    assert not ticket.items.exists()


def test_an_outsider_and_non_floor_roles_cannot_capture(ticket, personas):
    assert signed_in(personas["outsider"]).get(capture_url(ticket)).status_code == 404
    for role in ("compliance", "security"):
        response = signed_in(personas[role]).post(
            capture_url(ticket), {"category": "contact", "email": "x@example.com"}
        )
        assert response.status_code == 403
    assert not ticket.items.exists()


# --- capturing ---------------------------------------------------------------------------


def test_the_capture_page_shows_the_original_message_beside_the_form(ticket, agent):
    html = signed_in(agent).get(capture_url(ticket)).content.decode()
    assert "My new mobile is 07700 900123." in html
    assert 'name="email"' in html  # the contact form, the ticket's guessed category
    html = signed_in(agent).get(capture_url(ticket, "preferences")).content.decode()
    assert 'name="marketing_email"' in html and 'name="email"' not in html


def test_a_captured_change_is_scored_recorded_and_opens_verification(ticket, agent, customer):
    old = customer.phones.get(is_primary=True)
    response = signed_in(agent).post(
        capture_url(ticket),
        {
            "category": "contact",
            "phone": "07911 123456",
            "phone_kind": "mobile",
            "phone_target": old.pk,
        },
    )
    assert response.status_code == 302
    item = ticket.items.get(field="phonenumber.number")
    assert item.new_value == "+447911123456"
    assert item.target_id == old.pk and "•" in item.old_display  # masked snapshot
    note = ticket.events.filter(kind=TicketEvent.Kind.NOTE).latest("id")
    assert note.actor == agent and "Change captured" in note.message
    assert old.number not in note.message
    audit = AuditEvent.objects.get(action="ticket.captured")
    assert audit.data["fields"] == ["phonenumber.number"]
    assert item.history.latest().history_user == agent
    ticket.refresh_from_db()
    labels = [str(m.label) for m in allowed_moves(ticket, agent)]
    assert "Start verification" in labels
    transition(ticket=ticket, to=State.VERIFYING, by=agent)


def test_capturing_scores_risk_the_way_the_new_request_page_does(ticket, agent, northwind):
    # The new address is another customer's: the same rule as at intake adds its points.
    other = complete_customer(northwind, legal_name="Ada Lovelace")
    theirs = other.emails.get(is_primary=True).email
    data = cleaned(ticket, "contact", {"email": theirs})
    ticket_capture(ticket=ticket, by=agent, category="contact", cleaned_data=data)
    ticket.refresh_from_db()
    assert any(r["rule"] == "value_of_another_customer" for r in ticket.risk_reasons)


def test_the_ticket_page_offers_capture_only_while_it_has_no_change(ticket, agent):
    http = signed_in(agent)
    detail = reverse("tickets:detail", args=[ticket.reference])
    assert 'data-testid="capture-card"' in http.get(detail).content.decode()
    data = cleaned(ticket, "contact", {"email": "grace.new@example.com"})
    ticket_capture(ticket=ticket, by=agent, category="contact", cleaned_data=data)
    assert 'data-testid="capture-card"' not in http.get(detail).content.decode()
