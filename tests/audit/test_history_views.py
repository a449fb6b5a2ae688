"""The history pages end to end: who may open them, what they show (masked), the audited
reveal, bad filters, and query budgets that do not grow with the number of versions."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from audit.models import AuditEvent
from profiledesk.customers import models as m
from tests.audit.history_helpers import applied, ticket_for, write
from tests.conftest import make_staff, signed_in
from tests.factories import card_on_file, complete_customer

pytestmark = pytest.mark.django_db


def history_url(customer, **query):
    url = reverse("audit:customer_history", args=[customer.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def reveal_url(customer, model, history_id, field):
    return reverse("audit:history_reveal", args=[customer.pk, model, history_id, field])


@pytest.fixture
def changed_phone(customer, personas):
    ticket = ticket_for(customer, personas["agent"])
    phone = customer.phones.get()
    write(phone, by=personas["agent"], reason=applied(ticket), number="+447700900999")
    return ticket, phone


# --- who may open them ----------------------------------------------------------------


@pytest.mark.parametrize("role", ["compliance", "supervisor"])
def test_compliance_and_supervisors_read_a_customers_history(role, customer, personas):
    response = signed_in(personas[role]).get(history_url(customer))
    assert response.status_code == 200


@pytest.mark.parametrize("role", ["agent", "security", "desk_admin"])
def test_other_roles_are_refused(role, customer, personas):
    assert signed_in(personas[role]).get(history_url(customer)).status_code == 403


def test_another_clients_customer_is_not_found(customer, personas, solaris):
    officer = make_staff("sol.compliance", "compliance", solaris)
    assert signed_in(officer).get(history_url(customer)).status_code == 404
    ticket = ticket_for(customer, personas["agent"])
    response = signed_in(officer).get(reverse("audit:ticket_audit", args=[ticket.reference]))
    assert response.status_code == 404
    url = reverse("audit:staff_activity", args=[personas["agent"].pk])
    assert signed_in(officer).get(url).status_code == 404


# --- what the timeline shows ------------------------------------------------------------


def test_the_timeline_groups_a_ticket_with_masked_before_and_after(
    customer, personas, changed_phone
):
    ticket, _phone = changed_phone
    response = signed_in(personas["compliance"]).get(history_url(customer))
    html = response.content.decode()

    assert f'data-reference="{ticket.reference}"' in html
    assert reverse("audit:ticket_audit", args=[ticket.reference]) in html
    assert "+44 •••• ••0999" in html
    assert "+447700900999" not in html
    assert reverse("audit:staff_activity", args=[personas["agent"].pk]) in html
    assert "time zone (Europe/London)" in html or "time zone (UTC)" in html


def test_a_security_answer_never_reaches_the_page(customer, personas):
    question = customer.security_questions.get()
    write(question, by=personas["agent"], answer_hash="pbkdf2$new$hash")
    html = signed_in(personas["compliance"]).get(history_url(customer)).content.decode()

    assert "pbkdf2$new$hash" not in html
    assert question.history.earliest().answer_hash not in html
    assert "St Mary" not in html


def test_a_card_shows_only_brand_and_last_four(customer, personas):
    card = card_on_file(customer, number="5555555555554444")
    html = signed_in(personas["compliance"]).get(history_url(customer, category="billing"))
    html = html.content.decode()

    assert "•••• 4444" in html
    assert card.vault_token not in html and card.bin not in html
    assert 'data-section="contact"' not in html


def test_bad_filters_are_form_errors_not_server_errors(customer, personas):
    http = signed_in(personas["compliance"])
    for query in (
        {"date_from": "2026-13-45"},
        {"date_from": "2026-03-02", "date_to": "2026-03-01"},
        {"after": "not-a-cursor"},
        {"category": "nonsense"},
        {"staff": "abc"},
    ):
        response = http.get(history_url(customer, **query))
        assert response.status_code == 400, query
        assert b"invalid-feedback" in response.content or b"text-danger" in response.content


def test_the_older_link_walks_to_the_next_page(customer, personas):
    for i in range(30):
        write(customer.phones.get(), by=personas["agent"], number=f"+4477009001{i:02d}")
    http = signed_in(personas["compliance"])
    first = http.get(history_url(customer, category="contact")).content.decode()
    after = first.split("after=")[1].split('"')[0]
    second = http.get(history_url(customer, category="contact", after=after)).content.decode()

    assert "+44 •••• ••0129" in first and "+44 •••• ••0129" not in second
    assert "+44 •••• ••0104" in second
    assert "before=" in second


# --- revealing a past value -----------------------------------------------------------


def test_compliance_reveals_one_past_value_and_it_is_audited(customer, personas, changed_phone):
    _ticket, phone = changed_phone
    first = phone.history.earliest()
    response = signed_in(personas["compliance"]).post(
        reveal_url(customer, "phonenumber", first.history_id, "number"),
        {"reason": "Complaint 4411"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert first.number in response.content.decode()
    event = AuditEvent.objects.get(action="history.value_revealed")
    assert event.actor == personas["compliance"] and event.target_id == str(customer.pk)
    assert event.data["field"] == "number" and event.data["history_id"] == first.history_id
    assert event.data["section"] == "contact" and event.data["reason"] == "Complaint 4411"
    assert first.number not in str(event.data)


def test_the_timeline_offers_reveal_to_compliance_only(customer, personas, changed_phone):
    compliance = signed_in(personas["compliance"]).get(history_url(customer)).content
    supervisor = signed_in(personas["supervisor"]).get(history_url(customer)).content
    action = reveal_url(
        customer, "phonenumber", changed_phone[1].history.latest().history_id, "number"
    )
    assert action.encode() in compliance
    assert action.encode() not in supervisor


def test_supervisors_cannot_reveal(customer, personas, changed_phone):
    first = changed_phone[1].history.earliest()
    response = signed_in(personas["supervisor"]).post(
        reveal_url(customer, "phonenumber", first.history_id, "number")
    )
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="history.value_revealed").exists()


@pytest.mark.parametrize(
    ("model", "field"),
    [("securityquestion", "answer_hash"), ("paymentcard", "vault_token"), ("paymentcard", "bin")],
)
def test_secrets_cannot_be_revealed_by_anyone(model, field, customer, personas):
    card_on_file(customer)
    row = m.SecurityQuestion if model == "securityquestion" else m.PaymentCard
    history_id = row.history.filter(customer_id=customer.pk).latest().history_id
    response = signed_in(personas["compliance"]).post(
        reveal_url(customer, model, history_id, field)
    )
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="history.value_revealed").exists()


def test_another_customers_version_cannot_be_revealed_through_this_one(
    customer, northwind, personas
):
    other = complete_customer(northwind)
    theirs = other.phones.get().history.latest()
    response = signed_in(personas["compliance"]).post(
        reveal_url(customer, "phonenumber", theirs.history_id, "number")
    )
    assert response.status_code == 404


# --- the ticket audit view and the staff activity view ------------------------------------


def test_the_ticket_audit_view_shows_what_the_ticket_wrote(customer, personas, changed_phone):
    ticket, _phone = changed_phone
    response = signed_in(personas["supervisor"]).get(
        reverse("audit:ticket_audit", args=[ticket.reference])
    )
    html = response.content.decode()

    assert response.status_code == 200
    assert "+44 •••• ••0999" in html  # the profile version it wrote
    assert 'data-testid="item-history"' in html and "E-mail address" in html  # its items
    assert "+447700900999" not in html


def test_the_staff_activity_view_shows_the_last_week_by_default(customer, personas):
    agent = personas["agent"]
    with time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tick=False):
        write(customer.phones.get(), by=agent, number="+447700900111")
    write(customer.phones.get(), by=agent, number="+447700900222")
    http = signed_in(personas["compliance"])
    url = reverse("audit:staff_activity", args=[agent.pk])

    recent = http.get(url).content.decode()
    january = http.get(f"{url}?date_from=2026-01-01&date_to=2026-01-01").content.decode()

    assert "+44 •••• ••0222" in recent and "+44 •••• ••0111" not in recent
    assert "+44 •••• ••0111" in january and "+44 •••• ••0222" not in january
    assert http.get(f"{url}?date_from=yesterday").status_code == 400


def test_the_staff_activity_view_leaves_out_other_clients_customers(customer, personas, solaris):
    both = make_staff("both.agent", "agent", customer.client, solaris)
    theirs = complete_customer(solaris)
    write(theirs.phones.get(), by=both, number="+447700900333")
    write(customer.phones.get(), by=both, number="+447700900444")

    html = (
        signed_in(personas["compliance"])
        .get(reverse("audit:staff_activity", args=[both.pk]))
        .content.decode()
    )

    assert "+44 •••• ••0444" in html and "+44 •••• ••0333" not in html


# --- links from the desk's pages ----------------------------------------------------------


def test_the_profile_and_ticket_pages_link_to_the_history_pages(customer, personas):
    ticket = ticket_for(customer, personas["agent"])
    history = reverse("audit:customer_history", args=[customer.pk]).encode()
    audit = reverse("audit:ticket_audit", args=[ticket.reference]).encode()
    profile = reverse("customers:profile", args=[customer.pk])
    detail = reverse("tickets:detail", args=[ticket.reference])

    assert history in signed_in(personas["compliance"]).get(profile).content
    assert history not in signed_in(personas["agent"]).get(profile).content
    assert audit in signed_in(personas["supervisor"]).get(detail).content
    assert audit not in signed_in(personas["agent"]).get(detail).content


def test_times_are_shown_in_the_clients_time_zone(customer, personas):
    customer.client.time_zone = "Asia/Tokyo"
    customer.client.save()
    with time_machine.travel(dt.datetime(2026, 3, 1, 20, 0, tzinfo=dt.UTC), tick=False):
        write(customer.phones.get(), by=personas["agent"], number="+447700900999")
    html = signed_in(personas["compliance"]).get(history_url(customer)).content.decode()

    assert "2026-03-02 05:00:00" in html
    assert "time zone (Asia/Tokyo)" in html


def test_the_ticket_audit_view_lists_downstream_systems_without_their_payload(customer, personas):
    from tests.connectors.helpers import SECRET, delivery_for

    ticket = ticket_for(customer, personas["agent"])
    delivery = delivery_for(ticket)
    html = (
        signed_in(personas["compliance"])
        .get(reverse("audit:ticket_audit", args=[ticket.reference]))
        .content.decode()
    )

    assert delivery.connector.name in html
    assert SECRET not in html and delivery.idempotency_key not in html


def test_the_staff_activity_view_pages_by_keyset(customer, personas):
    agent = personas["agent"]
    for i in range(30):
        write(customer.phones.get(), by=agent, number=f"+4477009001{i:02d}")
    http = signed_in(personas["compliance"])
    url = reverse("audit:staff_activity", args=[agent.pk])

    first = http.get(url).content.decode()
    after = first.split("after=")[1].split('"')[0]
    second = http.get(f"{url}?after={after}").content.decode()

    assert first.count('data-testid="version"') == 25
    assert second.count('data-testid="version"') == 5
    assert "+44 •••• ••0129" in first and "+44 •••• ••0100" in second
