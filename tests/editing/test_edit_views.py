"""The edit page (GET /editing/tickets/<reference>/): through the test client, as the floor
uses it."""

import pytest
import time_machine
from django.urls import reverse

from profiledesk.approvals.models import Approval
from profiledesk.tickets.models import State, Ticket, TicketEvent
from tests.conftest import signed_in
from tests.factories import card_on_file, complete_customer

from .helpers import BILLING, NEW_IBAN, WEDNESDAY, captured, to_approved, to_ready


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def agent(personas):
    return personas["agent"]


QUERIES_EDIT_PAGE = 11


def _url(ticket):
    return reverse("editing:edit", args=[ticket.reference])


def _stamp(html: str) -> str:
    marker = 'name="stamp" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_the_form_comes_back_filled_in_except_secrets_and_masked_values(customer, agent):
    ticket = captured(
        customer,
        agent,
        category="personal",
        data={"legal_name": "Grace B. Hopper", "date_of_birth": "1906-12-09"},
    )
    html = signed_in(agent).get(_url(ticket)).content.decode()
    assert 'value="Grace B. Hopper"' in html
    # A date of birth is masked everywhere: it is typed again, not written into the page.
    assert "1906-12-09" not in html
    assert "••/••/1906" in html and 'data-testid="retype"' in html


def test_an_iban_or_card_is_never_written_back_into_the_page(customer, agent):
    card_on_file(customer)
    ticket = captured(customer, agent, category="billing", data=BILLING)
    token = ticket.items.get(field="bankaccount.vault_token").new_value
    html = signed_in(agent).get(_url(ticket)).content.decode()
    assert NEW_IBAN not in html and NEW_IBAN[4:] not in html
    assert token not in html and '"token"' not in html
    assert 'value="Grace Hopper"' in html  # the account holder is not secret


def test_a_contact_value_is_typed_again_and_shown_masked_beside_the_form(customer, agent):
    ticket = captured(customer, agent, data={"email": "grace@example.org"})
    html = signed_in(agent).get(_url(ticket)).content.decode()
    assert "grace@example.org" not in html
    assert "g•••@example.org" in html


def test_saving_an_approved_ticket_puts_it_back_in_ready_with_approvals_void(
    customer, personas, agent
):
    ticket = to_ready(captured(customer, agent, category="billing", data=BILLING), agent)
    to_approved(ticket, agent, personas["supervisor"])
    http = signed_in(agent)
    stamp = _stamp(http.get(_url(ticket)).content.decode())
    response = http.post(
        _url(ticket), {**BILLING, "account_holder": "G. B. Hopper", "stamp": stamp}, follow=True
    )
    assert response.status_code == 200
    assert "voided: it needs approving again" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.state == State.READY
    assert not Approval.objects.filter(ticket=ticket, voided_at__isnull=True).exists()


def test_a_stale_form_is_a_409_and_changes_nothing(customer, agent):
    ticket = captured(customer, agent, data={"email": "grace@example.org"})
    http = signed_in(agent)
    stamp = _stamp(http.get(_url(ticket)).content.decode())
    assert http.post(_url(ticket), {"email": "one@example.org", "stamp": stamp}).status_code == 302
    response = http.post(_url(ticket), {"email": "two@example.org", "stamp": stamp})
    assert response.status_code == 409
    assert "changed after you opened the form" in response.content.decode()
    assert ticket.items.get(field="emailaddress.email").new_value == "one@example.org"


@pytest.mark.parametrize("stamp", ["", "ready:" + "0" * 63, "<script>:x", "ready:" + "g" * 64])
def test_a_forged_or_missing_stamp_is_a_400_with_a_reason(customer, agent, stamp):
    ticket = captured(customer, agent, data={"email": "grace@example.org"})
    response = signed_in(agent).post(_url(ticket), {"email": "x@example.org", "stamp": stamp})
    assert response.status_code == 400
    assert "open it again from the ticket" in response.content.decode()
    assert ticket.items.get(field="emailaddress.email").new_value == "grace@example.org"


def test_bad_input_is_a_400_on_the_field_and_nothing_is_half_written(customer, agent):
    ticket = captured(customer, agent, data={"email": "grace@example.org"})
    http = signed_in(agent)
    stamp = _stamp(http.get(_url(ticket)).content.decode())
    response = http.post(_url(ticket), {"email": "not an address", "stamp": stamp})
    assert response.status_code == 400
    assert ticket.items.get(field="emailaddress.email").new_value == "grace@example.org"
    assert not TicketEvent.objects.filter(ticket=ticket, message__startswith="Change edited")


def test_a_card_security_code_is_refused_whatever_its_name(customer, agent):
    ticket = captured(customer, agent, category="billing", data=BILLING)
    http = signed_in(agent)
    stamp = _stamp(http.get(_url(ticket)).content.decode())
    response = http.post(_url(ticket), {**BILLING, "cvv": "123", "stamp": stamp})
    assert response.status_code == 400
    assert "never takes a card&#x27;s security code" in response.content.decode()
    assert not TicketEvent.objects.filter(ticket=ticket, message__startswith="Change edited")


def test_hostile_text_stays_text_on_the_ticket_page(customer, agent):
    ticket = captured(customer, agent, category="personal", data={"legal_name": "Grace Hopper Jr"})
    http = signed_in(agent)
    stamp = _stamp(http.get(_url(ticket)).content.decode())
    hostile = '"><img src=x onerror=alert(1)>'
    http.post(_url(ticket), {"legal_name": hostile, "stamp": stamp})
    html = http.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_invisible_characters_in_a_name_are_refused(customer, agent):
    ticket = captured(customer, agent, category="personal", data={"legal_name": "Grace Hopper Jr"})
    http = signed_in(agent)
    stamp = _stamp(http.get(_url(ticket)).content.decode())
    response = http.post(_url(ticket), {"legal_name": "Grace\u202eHopper", "stamp": stamp})
    assert response.status_code == 400
    assert ticket.items.get().new_value == "Grace Hopper Jr"


def test_someone_else_is_shown_the_ticket_with_why_and_cannot_post(customer, personas, agent):
    ticket = captured(customer, agent, data={"email": "grace@example.org"})
    http = signed_in(personas["supervisor"])
    response = http.get(_url(ticket))
    assert response.status_code == 403
    assert "is working this ticket" in response.content.decode()
    stamp = f"new:{'0' * 64}"
    assert http.post(_url(ticket), {"email": "x@example.org", "stamp": stamp}).status_code == 403
    assert ticket.items.get(field="emailaddress.email").new_value == "grace@example.org"
    # The supervisor who must correct it takes it over first (recorded); then it is theirs.
    take_over = reverse("tickets:take_over", args=[ticket.reference])
    assert http.post(take_over, {"reason": "Correcting the address"}).status_code == 302
    assert http.get(_url(ticket)).status_code == 200
    assert signed_in(agent).get(_url(ticket)).status_code == 403


def test_another_clients_ticket_is_a_404(solaris, personas, agent):
    theirs = complete_customer(solaris, legal_name="Ada Lovelace")
    outsider = personas["outsider"]
    ticket = captured(theirs, outsider, data={"email": "ada@example.org"})
    assert signed_in(agent).get(_url(ticket)).status_code == 404
    stamp = f"new:{'0' * 64}"
    response = signed_in(agent).post(_url(ticket), {"email": "x@example.org", "stamp": stamp})
    assert response.status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).items.get().new_value == "ada@example.org"


def test_the_ticket_page_offers_edit_to_its_assignee_only(customer, personas, agent):
    ticket = captured(customer, agent, data={"email": "grace@example.org"})
    page = reverse("tickets:detail", args=[ticket.reference])
    assert 'data-testid="edit-change"' in signed_in(agent).get(page).content.decode()
    html = signed_in(personas["supervisor"]).get(page).content.decode()
    assert 'data-testid="edit-change"' not in html


def test_an_added_contact_stays_an_addition_not_a_replacement_of_the_primary(customer, agent):
    # The contact form's own default replaces the primary e-mail; a captured addition must
    # come back as an addition, or saving it unchanged would replace the primary.
    ticket = captured(customer, agent, data={"email": "grace@example.org"})
    assert ticket.items.get(field="emailaddress.email").target_id is None
    html = signed_in(agent).get(_url(ticket)).content.decode()
    assert '<option value="" selected>Add a new address</option>' in html


@pytest.mark.parametrize(
    "data",
    [
        {"business_name": "Hopper Ltd"},
        {"business_name": "Hopper Ltd", "job_title": "Admiral", "department": "Navy"},
    ],
)
def test_the_edit_page_query_budget_does_not_grow_with_the_items(
    customer, agent, data, django_assert_num_queries
):
    ticket = captured(customer, agent, category="organisation", data=data)
    http = signed_in(agent)
    http.get(_url(ticket))  # warm the session's cached bits
    # Expect 11: session, user, OTP device, permissions and roles (one), the ticket with its
    # client, customer and people, "has items", the form's reads (the customer's client,
    # their language-and-region for the country, the organisation row for "Now: …"), the
    # items once (table, prefill and stamp), the approvals an edit would void.
    with django_assert_num_queries(QUERIES_EDIT_PAGE):
        assert http.get(_url(ticket)).status_code == 200


def test_a_row_of_another_customer_cannot_be_slipped_into_the_edit(customer, northwind, agent):
    other = complete_customer(northwind, legal_name="Mallory")
    theirs = other.emails.get(is_primary=True)
    ticket = captured(customer, agent, data={"email": "grace@example.org"})
    http = signed_in(agent)
    stamp = _stamp(http.get(_url(ticket)).content.decode())
    response = http.post(
        _url(ticket), {"email": "grace@example.org", "email_target": theirs.pk, "stamp": stamp}
    )
    assert response.status_code == 400
    assert ticket.items.get(field="emailaddress.email").target_id is None
