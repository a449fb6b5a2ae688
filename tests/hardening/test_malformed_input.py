"""Malformed and hostile input on the desk's pages is a 4xx (or the form again) with a
reason, and nothing is half-applied: invisible characters per field, a move to a state
that does not exist, OPTIONS on the API docs, a card-number customer search, URL-encoded
card numbers in log lines. The API's JSON: tests/api/test_malformed_json.py."""

import logging

import pytest
from django.urls import reverse

from profiledesk.intake import validators
from profiledesk.privacy.logging import RedactFilter, redact
from profiledesk.tickets.models import State, Ticket, TicketEvent
from tests.conftest import signed_in
from tests.factories import TicketFactory

# --- invisible characters, per field -------------------------------------------------------

INVISIBLE = ["\u202e", "\u2066", "\u200f", "\u061c", "\u200b", "\u200d", "\u2060", "\ufeff"]


@pytest.mark.parametrize("char", INVISIBLE)
def test_names_refuse_invisible_characters(char):
    with pytest.raises(validators.ValidationError, match="invisible or direction-changing"):
        validators.validate_free_text(f"Grace{char}Hopper")


def test_a_comment_with_a_right_to_left_override_is_a_400_and_not_stored(agent, customer):
    ticket = TicketFactory(customer=customer, created_by=agent)
    response = signed_in(agent).post(
        reverse("tickets:comment", args=[ticket.reference]), {"body": "see inv\u202efdp.exe"}
    )
    assert response.status_code == 400
    assert "invisible or direction-changing" in response.content.decode()
    assert not ticket.events.filter(kind=TicketEvent.Kind.COMMENT).exists()


def test_a_summary_with_a_zero_width_space_is_refused_on_the_new_request_page(agent, customer):
    response = signed_in(agent).post(
        reverse("tickets:new", args=[customer.pk]),
        {"channel": "phone", "category": "contact", "summary": "pay\u200bpal"},
    )
    assert response.status_code in (200, 400)
    assert "invisible or direction-changing" in response.content.decode()
    assert not Ticket.objects.exists()


# --- moves and the API docs ---------------------------------------------------------------


@pytest.mark.parametrize("target", ["bogus", "", "NEW", "verifying\x00"])
def test_a_move_to_something_that_is_not_a_state_is_a_400_with_a_reason(agent, customer, target):
    ticket = TicketFactory(customer=customer, created_by=agent)
    response = signed_in(agent).post(
        reverse("tickets:move", args=[ticket.reference]), {"to": target}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "That is not a state a ticket can be in." in page or "required" in page
    ticket.refresh_from_db()
    assert ticket.state == State.NEW


@pytest.mark.parametrize("method", ["options", "post", "put", "delete"])
def test_the_api_docs_page_answers_only_get_and_head(client, method):
    response = getattr(client, method)("/api/docs/")
    assert response.status_code == 405
    assert client.get("/api/docs/").status_code == 200
    assert client.head("/api/docs/").status_code == 200


# --- a card number as a customer search ----------------------------------------------------

CARD_QUERIES = [
    "4111111111111111",
    "4111 1111 1111 1111",
    "4111.1111.1111.1111",
    "4111/1111/1111/1111",
]


@pytest.mark.parametrize("query", CARD_QUERIES)
def test_a_card_number_search_is_refused_and_never_enters_a_url(agent, query, caplog):
    http = signed_in(agent)
    with caplog.at_level(logging.DEBUG):
        response = http.post(reverse("customers:search"), {"q": query})
        htmx = http.post(reverse("customers:search"), {"q": query}, HTTP_HX_REQUEST="true")
    for answer in (response, htmx):
        assert answer.status_code == 200 and "Location" not in answer
        assert "HX-Push-Url" not in answer
        assert "Card numbers are not searched" in answer.content.decode()
        assert "4111111111111111" not in answer.content.decode().replace(" ", "")
    assert "1111" not in caplog.text


def test_a_card_number_typed_into_the_search_url_is_refused_too(agent):
    response = signed_in(agent).get(reverse("customers:search"), {"q": "4111 1111 1111 1111"})
    assert "Card numbers are not searched" in response.content.decode()
    assert 'data-testid="search-results"' not in response.content.decode()


def test_any_other_search_is_sent_on_to_its_bookmarkable_url(agent, customer):
    http = signed_in(agent)
    response = http.post(reverse("customers:search"), {"q": "Grace"})
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:search") + "?q=Grace"
    htmx = http.post(reverse("customers:search"), {"q": "Grace"}, HTTP_HX_REQUEST="true")
    assert htmx["HX-Push-Url"] == reverse("customers:search") + "?q=Grace"
    assert "Grace Hopper" in htmx.content.decode()


@pytest.mark.parametrize(
    "line",
    [
        '"GET /customers/?q=4111%201111%201111%201111 HTTP/1.1" 200',
        '"GET /customers/?q=4111+1111+1111+1111 HTTP/1.1" 200',
        '"GET /customers/?q=4111%252E1111%252E1111%252E1111 HTTP/1.1" 200',
        '"GET /customers/?q=%34%31%31%31%31%31%31%31%31%31%31%31%31%31%31%31 HTTP/1.1" 200',
    ],
)
def test_url_encoded_card_numbers_are_redacted_in_log_lines(line):
    cleaned = redact(line)
    assert "411111••••••1111" in cleaned
    record = logging.LogRecord("django.server", logging.INFO, "", 0, "%s", (line,), None)
    RedactFilter().filter(record)
    assert "1111%20" not in record.getMessage() and "4111+1111" not in record.getMessage()
    assert record.getMessage() == cleaned


# --- NUL characters ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/tickets/%00/", "/customers/?q=a%00b", "/tickets/?page=%00"])
def test_a_nul_character_in_a_path_or_query_is_a_400_before_any_view(agent, url):
    # PostgreSQL cannot hold a NUL in text: a lookup with one would be a 500.
    response = signed_in(agent).get(url)
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
