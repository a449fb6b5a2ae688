"""PCI DSS 10.2: every event the issue lists is written to the audit log by the real code
path (the views a staff member uses), with no secret in its data, and the chain stays
intact after all of them (`verify_audit`)."""

import datetime as dt
import json
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from profiledesk.approvals.services import approval_submit
from profiledesk.connectors.models import Connector
from profiledesk.customers.models import Customer
from profiledesk.policies.categories import Category
from profiledesk.policies.defaults import policies_ensure_defaults
from tests.accounts.test_sign_in import code_for, password_step
from tests.approvals.helpers import ORGANISATION_ITEM, ready_ticket
from tests.conftest import make_staff, signed_in
from tests.connectors.test_admin_and_secrets import ADD as CONNECTOR_ADD
from tests.connectors.test_admin_and_secrets import form as connector_form
from tests.factories import TEST_PASSWORD, ClientFactory, MembershipFactory, document_upload
from tests.policies.test_admin import _change_url as policy_change_url
from tests.policies.test_admin import _form_data as policy_form_data
from tests.verification.helpers import email_key, open_ticket
from verification import services as verification_services

HTMX = {"HTTP_HX_REQUEST": "true"}
# A Wednesday morning, inside the default business hours.
WEDNESDAY = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)
WRONG_PASSWORD = "not-the-password-Kx81!"
# The customer's real answer (tests/factories.py hashes "St Mary's").
RIGHT_ANSWER = "st marys"


@pytest.fixture
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def codes(monkeypatch):
    """The codes the customer receives (what verification hands to messaging)."""
    from profiledesk.messaging.services import message_queue

    sent: list[str] = []

    def recording(**kwargs):
        sent.append(kwargs["context"]["code"])
        return message_queue(**kwargs)

    monkeypatch.setattr(verification_services, "_message_queue", lambda: recording)
    return sent


def events(action: str):
    return AuditEvent.objects.filter(action=action)


def all_audit_data() -> str:
    return json.dumps(list(AuditEvent.objects.values_list("data", flat=True)))


def send_code(http, ticket, customer):
    return http.post(
        reverse("verification:otp_send", args=[ticket.reference]),
        {"contact": email_key(customer)},
        **HTMX,
    )


def check_code(http, ticket, code: str):
    return http.post(
        reverse("verification:otp_check", args=[ticket.reference]),
        {"challenge": ticket.otp_challenges.latest("created_at").pk, "code": code},
        **HTMX,
    )


def answer_questions(http, ticket, customer, answer: str):
    question = customer.security_questions.get()
    return http.post(
        reverse("verification:questions", args=[ticket.reference]),
        {f"answer_{question.pk}": answer},
        **HTMX,
    )


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# --- staff sign-in --------------------------------------------------------------------


def test_a_sign_in_is_recorded_for_each_factor(agent):
    http = Client(REMOTE_ADDR="10.1.2.3")
    password_step(http, agent.username)
    http.post(reverse("accounts:otp"), {"token": code_for(agent.totpdevice_set.get())})
    password = events("staff.sign_in.password").get()
    assert (password.actor, password.ip_address) == (agent, "10.1.2.3")
    assert events("staff.sign_in.verified").get().actor == agent


def test_a_failed_sign_in_is_recorded_with_the_username_and_never_the_password(agent):
    Client(REMOTE_ADDR="10.1.2.3").post(
        reverse("accounts:login"), {"username": agent.username, "password": WRONG_PASSWORD}
    )
    failed = events("staff.sign_in.failed").get()
    assert failed.data == {"username": agent.username}
    assert failed.ip_address == "10.1.2.3"
    assert WRONG_PASSWORD not in all_audit_data()


def test_the_tenth_failure_records_one_lock_out_of_the_account(agent):
    for i in range(9):
        Client().post(reverse("accounts:login"), {"username": agent.username, "password": f"x{i}"})
    assert not events("staff.locked_out").exists()
    Client().post(reverse("accounts:login"), {"username": agent.username, "password": "x9"})
    lock = events("staff.locked_out").get()
    assert (lock.target_type, lock.target_id) == ("accounts.user", str(agent.pk))
    assert lock.data == {"username": agent.username, "after_failures": 10, "minutes": 30}
    assert lock.actor is None  # nobody is signed in


# --- customer verification --------------------------------------------------------------


def test_an_otp_sent_is_recorded_with_the_masked_destination_only(clock, customer, agent, codes):
    ticket = open_ticket(customer, agent)
    send_code(signed_in(agent), ticket, customer)
    sent = events("verification.otp_sent").get()
    address = customer.emails.get().email
    assert sent.data["ticket"] == ticket.reference
    assert sent.data["channel"] == "email"
    assert sent.data["to"] != address and "•" in sent.data["to"]
    assert sent.actor == agent and sent.client == customer.client
    assert address not in all_audit_data() and codes[0] not in all_audit_data()


def test_a_wrong_code_is_recorded_with_the_tries_left(clock, customer, agent, codes):
    ticket = open_ticket(customer, agent)
    http = signed_in(agent)
    send_code(http, ticket, customer)
    check_code(http, ticket, wrong(codes[0]))
    failed = events("verification.otp_failed").get()
    assert failed.data["tries_left"] == 4
    assert wrong(codes[0]) not in all_audit_data()
    check_code(http, ticket, codes[0])
    assert events("verification.otp_passed").get().data["ticket"] == ticket.reference
    assert codes[0] not in all_audit_data()


def test_security_answers_passed_and_failed_are_recorded_without_the_answer(clock, customer, agent):
    ticket = open_ticket(customer, agent)
    http = signed_in(agent)
    answer_questions(http, ticket, customer, "wrong answer kept out")
    answer_questions(http, ticket, customer, RIGHT_ANSWER)
    assert events("verification.questions_failed").get().data["wrong"] == 1
    assert events("verification.questions_passed").get().data["wrong"] == 0
    data = all_audit_data().lower()
    assert "wrong answer kept out" not in data and "mary" not in data


def test_three_wrong_rounds_lock_the_customers_verification_and_say_so(clock, customer, agent):
    ticket = open_ticket(customer, agent)
    http = signed_in(agent)
    for _ in range(3):
        answer_questions(http, ticket, customer, "nope")
    lock = events("verification.locked").get()
    assert lock.data["method"] == "questions"
    assert lock.data["ticket"] == ticket.reference
    assert (lock.target_type, lock.target_id) == ("tickets.ticket", str(ticket.pk))


def test_a_document_check_is_recorded_with_its_checklist(clock, customer, agent):
    ticket = open_ticket(customer, agent, category="organisation", items=[ORGANISATION_ITEM])
    signed_in(agent).post(
        reverse("verification:document_upload", args=[ticket.reference]),
        {
            "document_type": "passport",
            "file": document_upload(name="passport.png"),
            "photo_matches": "on",
            "name_matches": "on",
            "not_expired": "on",
        },
        **HTMX,
    )
    failed = events("verification.document_failed").get()
    assert failed.data["type"] == "passport"
    assert (failed.data["not_expired"], failed.data["type_confirmed"]) == (True, False)
    assert "passport.png" not in all_audit_data()  # the file name may name the customer


# --- reveals, approvals, freezes ------------------------------------------------------------


def test_revealing_a_masked_value_is_recorded(personas, customer):
    url = reverse(
        "customers:reveal", args=[customer.pk, "personal", customer.personal.pk, "national_id"]
    )
    signed_in(personas["supervisor"]).post(url, {"reason": "Customer complaint 4471"})
    event = events("customer.sensitive_revealed").get()
    assert event.actor == personas["supervisor"] and event.data["field"] == "national_id"
    assert (event.data["basis"], event.data["reason"]) == ("reason", "Customer complaint 4471")


def test_a_refused_reveal_is_recorded_too(personas, customer):
    # An agent without a verified ticket of the customer (issue 11): nothing revealed.
    url = reverse(
        "customers:reveal", args=[customer.pk, "personal", customer.personal.pk, "national_id"]
    )
    assert signed_in(personas["agent"]).post(url).status_code == 403
    refused = events("customer.reveal_refused").get()
    assert refused.actor == personas["agent"] and refused.data["field"] == "national_id"
    assert not events("customer.sensitive_revealed").exists()


def test_an_approval_decision_is_recorded_with_the_diff_it_signed(clock, customer, personas):
    ticket = ready_ticket(customer, personas["agent"], category="billing")
    approval_submit(ticket=ticket, by=personas["agent"])
    diff_hash = ticket.approval_rounds.get().diff_hash
    signed_in(personas["supervisor"]).post(
        reverse("approvals:approve", args=[ticket.reference]), {"diff_hash": diff_hash}
    )
    granted = events("approval.granted").get()
    assert granted.actor == personas["supervisor"]
    assert (granted.data["reference"], granted.data["diff_hash"]) == (ticket.reference, diff_hash)


def test_a_freeze_and_its_lifting_are_recorded(customer, personas):
    http = signed_in(personas["security"])
    http.post(reverse("customers:freeze", args=[customer.pk]), {"reason": "Takeover reported"})
    http.post(reverse("customers:unfreeze", args=[customer.pk]), {"reason": "Customer confirmed"})
    frozen, unfrozen = events("customer.frozen").get(), events("customer.unfrozen").get()
    assert frozen.actor == unfrozen.actor == personas["security"]
    assert (frozen.target_type, frozen.target_id) == ("customers.customer", str(customer.pk))
    assert Customer.objects.get(pk=customer.pk).frozen_at is None


# --- the admin: policies, connectors, staff access ------------------------------------------


def test_a_policy_edit_in_the_admin_is_recorded(personas, northwind):
    policies_ensure_defaults(client=northwind)
    policy = northwind.policies.get(category=Category.BILLING)
    signed_in(personas["desk_admin"]).post(
        policy_change_url(policy), policy_form_data(policy, cooling_off_hours=48)
    )
    event = events("policy.changed").get()
    assert event.actor == personas["desk_admin"]
    assert event.data["changed"] == {"cooling_off_hours": [24, 48]}


def test_a_connector_edit_in_the_admin_is_recorded_without_its_secret(personas, northwind):
    from tests.connectors.helpers import SECRET

    http = signed_in(personas["desk_admin"])
    http.post(CONNECTOR_ADD, connector_form(northwind))
    connector = Connector.objects.get(client=northwind)
    http.post(
        reverse("admin:connectors_connector_change", args=[connector.pk]),
        connector_form(northwind, secret="", is_active=""),
    )
    added = events("connectors.connector_added").get()
    changed = events("connectors.connector_changed").get()
    assert added.actor == changed.actor == personas["desk_admin"]
    assert changed.data["changed"] == ["is_active"] and changed.data["is_active"] is False
    assert SECRET not in all_audit_data()


def test_giving_a_staff_member_a_client_and_a_role_in_the_admin_is_recorded(personas, northwind):
    # A second client this desk admin administers (tests/test_admin_tenancy.py: only those).
    acme = ClientFactory(slug="acme", name="Acme")
    MembershipFactory(user=personas["desk_admin"], client=acme)
    http = signed_in(personas["desk_admin"])
    agent = personas["agent"]
    http.post(reverse("admin:clients_membership_add"), {"user": agent.pk, "client": acme.pk})
    added = events("staff.membership_added").get()
    assert (added.actor, added.client) == (personas["desk_admin"], acme)
    assert added.data == {"username": "agent", "client": "acme"}

    supervisors = agent.groups.model.objects.get(name="supervisor")
    response = http.post(
        reverse("admin:accounts_user_change", args=[agent.pk]),
        {
            "username": agent.username,
            "first_name": agent.first_name,
            "last_name": agent.last_name,
            "email": agent.email,
            "is_active": "on",
            "groups": [supervisors.pk],
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    changed = events("staff.account_changed").get()
    assert "groups" in changed.data["changed"]
    assert changed.data["groups"] == ["supervisor"]


def test_a_password_set_by_an_admin_is_recorded_without_the_password(personas):
    agent = personas["agent"]
    new_password = "A-new-long-Passphrase-91"
    response = signed_in(personas["desk_admin"]).post(
        reverse("admin:auth_user_password_change", args=[agent.pk]),
        {"password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302
    assert events("staff.password_set_by_admin").get().target_id == str(agent.pk)
    assert new_password not in all_audit_data()


# --- permission denials -----------------------------------------------------------------------


def test_a_permission_denial_renders_the_403_page_and_is_recorded(personas):
    response = signed_in(personas["agent"], verified=True).get(
        reverse("approvals:queue"), REMOTE_ADDR="10.4.4.4"
    )
    assert response.status_code == 403
    assert "Your role does not allow this" in response.content.decode()
    denied = events("access.denied").get()
    assert denied.actor == personas["agent"]
    assert denied.ip_address == "10.4.4.4"
    assert denied.data == {
        "path": reverse("approvals:queue"),
        "method": "GET",
        "view": "approvals:queue",
    }


def test_a_denial_in_the_admin_is_recorded_too(personas, northwind):
    # Staff without a desk-admin role who reach the admin (is_staff set by mistake).
    clerk = make_staff("clerk", "agent", northwind, is_staff=True)
    response = signed_in(clerk).get(reverse("admin:connectors_connector_add"))
    assert response.status_code == 403
    assert events("access.denied").get().data["view"] == "admin:connectors_connector_add"


def test_an_allowed_page_records_no_denial(personas):
    assert signed_in(personas["supervisor"]).get(reverse("approvals:queue")).status_code == 200
    assert not events("access.denied").exists()


# --- the whole day: no secret anywhere, and the chain holds ------------------------------------


def test_after_a_day_of_events_no_secret_is_in_the_log_and_the_chain_is_intact(
    clock, customer, personas, codes
):
    agent = personas["agent"]
    Client().post(reverse("accounts:login"), {"username": "agent", "password": WRONG_PASSWORD})
    password_step(Client(), "agent", TEST_PASSWORD)
    ticket = open_ticket(customer, agent)
    http = signed_in(agent)
    answer_questions(http, ticket, customer, "Wrong Answer Here")
    answer_questions(http, ticket, customer, RIGHT_ANSWER)
    send_code(http, ticket, customer)
    check_code(http, ticket, wrong(codes[0]))
    check_code(http, ticket, codes[0])
    http.post(reverse("verification:reveal", args=[ticket.reference]), **HTMX)
    http.get(reverse("approvals:queue"))  # a denial

    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "staff.sign_in.failed",
        "staff.sign_in.password",
        "verification.questions_failed",
        "verification.questions_passed",
        "verification.otp_sent",
        "verification.otp_failed",
        "verification.otp_passed",
        "verification.details_revealed",
        "access.denied",
    } <= actions
    data = all_audit_data()
    for secret in (WRONG_PASSWORD, TEST_PASSWORD, codes[0], wrong(codes[0])):
        assert secret not in data
    assert "mary" not in data.lower() and "wrong answer here" not in data.lower()

    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "intact" in out.getvalue()


def test_a_form_post_without_its_csrf_token_is_a_recorded_denial(personas, customer):
    http = signed_in(personas["agent"])
    http.handler.enforce_csrf_checks = True
    url = reverse(
        "customers:reveal", args=[customer.pk, "personal", customer.personal.pk, "national_id"]
    )
    assert http.post(url).status_code == 403
    denied = events("access.denied").get()
    assert denied.actor == personas["agent"]
    assert denied.data["path"] == url and "CSRF" in denied.data["csrf"]
    assert not events("customer.sensitive_revealed").exists()
