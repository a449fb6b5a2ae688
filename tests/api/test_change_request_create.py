"""POST /api/v1/change-requests/: tickets opened, idempotency, validation errors, secrets."""

import json
import threading

import jsonschema
import pytest
import yaml
from django.db import connection

from profiledesk.api.keys import api_key_create
from profiledesk.api.models import IdempotencyRecord
from profiledesk.tickets.models import Channel, State, Ticket, TicketEvent
from tests.api.conftest import CARD, CARD_DIGITS, bearer, email_change, submit
from tests.factories import complete_customer

# --- a request opens a ticket ----------------------------------------------------------


def test_a_valid_request_opens_a_new_api_ticket_for_the_customer(api, customer):
    response = submit(api, email_change(customer, "Grace.New@Example.com"))
    assert response.status_code == 201
    body = response.json()
    ticket = Ticket.objects.get(reference=body["reference"])
    assert (ticket.client.slug, ticket.customer, ticket.channel, ticket.state) == (
        "northwind",
        customer,
        Channel.API,
        State.NEW,
    )
    item = ticket.items.get()
    assert (item.section, item.field) == ("contact", "emailaddress.email")
    assert item.new_value == "grace.new@example.com"
    assert item.target_id == customer.emails.get(is_primary=True).pk  # replaces the primary
    assert response["Location"] == f"/api/v1/change-requests/{ticket.reference}/"
    assert body["items"][0]["new_value"] == "g•••@example.com"


def test_the_app_channel_can_be_named_and_the_customer_left_out(api):
    response = submit(
        api, {"channel": "app", "category": "preferences", "changes": {"marketing_email": False}}
    )
    assert response.status_code == 201
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    assert (ticket.channel, ticket.customer) == (Channel.APP, None)
    assert ticket.items.get().new_value == "false"


def test_a_ticket_without_a_summary_gets_one_that_says_it_came_from_the_api(api, customer):
    response = submit(api, email_change(customer))
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    assert ticket.summary == "Contact details: change requested through the API"


def test_card_numbers_in_the_summary_and_comment_are_redacted(api, customer):
    response = submit(
        api,
        email_change(customer, summary=f"card {CARD}", comment=f"Customer typed {CARD} in chat"),
    )
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    comment = ticket.events.get(kind=TicketEvent.Kind.COMMENT).message
    for text in (ticket.summary, comment):
        assert CARD not in text and CARD_DIGITS not in text.replace(" ", "")
        assert "•" in text


def test_an_address_change_is_validated_for_its_country(api, customer):
    body = {
        "customer": customer.number,
        "category": "contact",
        "changes": {
            "address_line1": "1 Gran Vía",
            "address_city": "Madrid",
            "address_postal_code": "28013",
            "address_country": "es",
        },
    }
    response = submit(api, body)
    assert response.status_code == 201
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    fields = dict(ticket.items.values_list("field", "new_value"))
    assert fields["postaladdress.country"] == "ES"
    assert fields["postaladdress.postal_code"] == "28013"


def test_a_request_without_a_customer_takes_every_value_as_new(api):
    body = {"category": "preferences", "changes": {"marketing_email": False, "auto_renew": True}}
    response = submit(api, body)
    assert response.status_code == 201
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    assert ticket.customer is None
    assert sorted(ticket.items.values_list("field", "new_value", "old_display")) == [
        ("preferences.auto_renew", "true", ""),
        ("preferences.marketing_email", "false", ""),
    ]


def test_a_value_the_profile_already_holds_is_a_400(api, customer):
    current = customer.emails.get(is_primary=True).email
    response = submit(api, email_change(customer, current))
    assert response.status_code == 400
    assert "Nothing to change" in response.json()["changes"]["non_field_errors"][0]
    assert not Ticket.objects.exists()


def test_unlinking_needs_the_customer(api):
    body = {"category": "linked_accounts", "changes": {"unlink_provider": "google"}}
    response = submit(api, body)
    assert response.status_code == 400
    assert "customer" in response.json()["changes"]["unlink_provider"][0]


# --- idempotency -------------------------------------------------------------------------


def test_a_retry_with_the_same_key_and_body_returns_the_same_ticket(api, customer):
    first = submit(api, email_change(customer), key="retry-1")
    second = submit(api, email_change(customer), key="retry-1")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["reference"] == second.json()["reference"]
    assert second["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1


def test_the_same_key_with_another_body_is_refused_and_opens_nothing(api, customer):
    submit(api, email_change(customer), key="reused")
    response = submit(api, email_change(customer, "someone.else@example.com"), key="reused")
    assert response.status_code == 422
    assert "different request" in response.json()["detail"]
    assert Ticket.objects.count() == 1


def test_a_request_without_an_idempotency_key_is_refused(api, customer):
    response = api.post("/api/v1/change-requests/", email_change(customer), format="json")
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_idempotency_keys_belong_to_one_client(api, customer, solaris):
    solaris_customer = complete_customer(solaris)
    _, solaris_raw = api_key_create(client=solaris, name="Solaris app")
    ours = submit(api, email_change(customer), key="shared-key")
    theirs = submit(bearer(solaris_raw), email_change(solaris_customer), key="shared-key")
    assert (ours.status_code, theirs.status_code) == (201, 201)
    assert ours.json()["reference"] != theirs.json()["reference"]


def test_a_refused_request_does_not_use_up_its_key(api, customer):
    bad = submit(api, email_change(customer, "not-an-email"), key="fix-and-retry")
    good = submit(api, email_change(customer), key="fix-and-retry")
    assert (bad.status_code, good.status_code) == (400, 201)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_requests_with_one_key_open_one_ticket(northwind_key, customer):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (tests/with_services.sh)")
    raw = northwind_key[1]
    barrier = threading.Barrier(2)
    statuses, references = [], []

    def send():
        try:
            barrier.wait()
            response = submit(bearer(raw), email_change(customer), key="at-once")
            statuses.append(response.status_code)
            references.append(response.json()["reference"])
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 201]
    assert len(set(references)) == 1
    assert Ticket.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "grace@@example"}, "email"),
        ({"phone": "12"}, "phone"),
        (
            {
                "address_line1": "1 High St",
                "address_city": "Leeds",
                "address_country": "GB",
                "address_postal_code": "ABC",
            },
            "address_postal_code",
        ),
        (
            {"address_line1": "1 High St", "address_city": "Leeds", "address_country": "ZZ"},
            "address_country",
        ),
        ({"email": 42}, "email"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_bad_contact_value_is_a_400_naming_the_field(api, customer, changes, field):
    body = {"customer": customer.number, "category": "contact", "changes": changes}
    response = submit(api, body)
    assert response.status_code == 400
    assert field in response.json()["changes"]
    assert not Ticket.objects.exists()


def test_a_bad_card_number_is_a_400_that_does_not_repeat_the_digits(api, customer):
    bad_card = "4111 1111 1111 1112"  # fails Luhn
    body = {
        "customer": customer.number,
        "category": "billing",
        "changes": {"card_number": bad_card, "card_exp_month": 12, "card_exp_year": 2099},
    }
    response = submit(api, body)
    assert response.status_code == 400
    assert response.json()["changes"]["card_number"] == [
        "This card number is not valid: check the digits."
    ]
    assert "1111" not in response.content.decode().replace("•", "")


def test_a_card_number_in_the_wrong_field_is_not_echoed(api, customer):
    body = {
        "customer": customer.number,
        "category": "contact",
        "channel": CARD_DIGITS,
        "changes": {"email": "a@example.com"},
    }
    response = submit(api, body)
    assert response.status_code == 400
    assert CARD_DIGITS not in response.content.decode()


def test_the_cvv_is_refused_with_a_reason(api, customer):
    body = {
        "customer": customer.number,
        "category": "billing",
        "changes": {"card_number": CARD, "card_exp_month": 12, "card_exp_year": 2099, "cvv": "123"},
    }
    response = submit(api, body)
    assert response.status_code == 400
    assert "CVV" in response.json()["changes"]["non_field_errors"][0]
    assert not Ticket.objects.exists()


def test_a_field_of_another_category_is_refused(api, customer):
    body = {
        "customer": customer.number,
        "category": "preferences",
        "changes": {"email": "a@example.com"},
    }
    response = submit(api, body)
    assert response.status_code == 400
    assert "preferences" in response.json()["changes"]["email"][0]


def test_a_customer_of_another_client_is_not_found(api, solaris):
    stranger = complete_customer(solaris)
    response = submit(api, email_change(stranger))
    assert response.status_code == 400
    assert response.json()["customer"] == ["No customer of yours has this number."]


def test_an_empty_change_list_is_refused(api, customer):
    response = submit(api, {"customer": customer.number, "category": "contact", "changes": {}})
    assert response.status_code == 400
    assert "changes" in response.json()


def test_unknown_top_level_fields_are_refused(api, customer):
    response = submit(api, email_change(customer, chanegs={"email": "a@example.com"}))
    assert response.status_code == 400
    assert response.json()["chanegs"] == ["Unknown field."]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"null", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_a_400(api, body):
    response = api.generic(
        "POST",
        "/api/v1/change-requests/",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert response.status_code == 400


def test_a_form_encoded_body_is_a_415(api):
    response = api.post(
        "/api/v1/change-requests/", {"category": "contact"}, HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert response.status_code == 415


def test_an_expired_card_is_refused(api, customer):
    body = {
        "customer": customer.number,
        "category": "billing",
        "changes": {"card_number": CARD, "card_exp_month": 1, "card_exp_year": 2001},
    }
    response = submit(api, body)
    assert response.status_code == 400
    assert response.json()["changes"]["card_exp_month"] == ["This card has expired."]


# --- secrets ---------------------------------------------------------------------------------


def _rows_containing(needle: str) -> list[str]:
    """Every table whose rows, as text, contain `needle` (PostgreSQL casts a row to text)."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            cursor.execute(
                f"SELECT count(*) FROM {quoted} AS t WHERE CAST(t AS text) LIKE %s",  # noqa: S608
                [f"%{needle}%"],
            )
            if cursor.fetchone()[0]:
                found.append(table)
    return found


def test_a_card_number_sent_in_changes_is_stored_nowhere(api, customer):
    if connection.vendor != "postgresql":
        pytest.skip("casts whole rows to text: PostgreSQL (tests/with_services.sh)")
    body = {
        "customer": customer.number,
        "category": "billing",
        "changes": {
            "card_number": CARD,
            "card_exp_month": 12,
            "card_exp_year": 2099,
            "card_holder_name": "Grace Hopper",
        },
        "comment": f"New card {CARD_DIGITS}",
    }
    response = submit(api, body)
    assert response.status_code == 201
    assert CARD_DIGITS not in response.content.decode()
    assert _rows_containing(CARD_DIGITS) == []
    assert _rows_containing(CARD) == []
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    card = ticket.items.get(field="paymentcard.vault_token")
    assert card.is_secret and json.loads(card.new_value)["token"].startswith("tok_card_")
    assert card.new_display == "Visa 4111 11•• •••• 1111"


def test_an_iban_goes_to_the_vault_and_only_its_token_is_on_the_ticket(api, customer):
    body = {
        "customer": customer.number,
        "category": "billing",
        "changes": {"iban": "DE89 3704 0044 0532 0130 00", "account_holder": "G. Hopper"},
    }
    response = submit(api, body)
    assert response.status_code == 201
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    iban = ticket.items.get(field="bankaccount.vault_token")
    assert iban.is_secret and json.loads(iban.new_value)["token"].startswith("tok_iban_")
    assert "370400440532013000" not in iban.new_display


def test_null_changes_are_a_400_in_the_shape_the_schema_describes(api, customer, client):
    response = submit(api, {"customer": customer.number, "category": "contact", "changes": None})
    assert response.status_code == 400
    messages = response.json()["changes"]
    assert messages == ["This field may not be null."]
    # Messages about `changes` as a whole are a list; by change field, an object.
    schema = yaml.safe_load(client.get("/api/schema/").content)
    shape = schema["components"]["schemas"]["ValidationError"]["properties"]["changes"]
    jsonschema.validate(messages, shape)
    jsonschema.validate({"email": ["Enter a valid e-mail address."]}, shape)


def test_the_audit_log_keeps_which_key_sent_a_ticket_after_the_key_record_is_purged(
    api, customer, settings
):
    from audit.models import AuditEvent
    from profiledesk.api.models import ApiKey
    from profiledesk.api.services import idempotency_records_purge

    response = submit(api, email_change(customer))
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    settings.API_IDEMPOTENCY_DAYS = 0
    idempotency_records_purge()
    assert not IdempotencyRecord.objects.exists()

    event = AuditEvent.objects.get(action="api.change_request_received")
    key = ApiKey.objects.get(client=ticket.client)
    assert (event.target_id, event.data["api_key"]) == (str(ticket.pk), key.prefix)
    assert event.data["reference"] == ticket.reference
