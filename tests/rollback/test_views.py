"""The confirm pages (the reverse diff, masked, and a reason), the POSTs that open the
rollback ticket, and the links on the ticket page and the verification panel."""

import pytest
from django.urls import reverse

from profiledesk.rollback.services import rollback_open
from profiledesk.tickets.forms import RequestStartForm
from profiledesk.tickets.models import Channel, State, Ticket
from tests.conftest import make_staff, signed_in
from tests.factories import complete_customer

from .helpers import applied, through_the_floor

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def national_id_change(customer, personas):
    return applied(customer, personas, "personal", {"national_id": "AB123456C"})


def url(ticket):
    return reverse("rollback:ticket", args=[ticket.reference])


def test_the_confirm_page_shows_the_reverse_diff_masked(national_id_change, personas):
    html = signed_in(personas["compliance"]).get(url(national_id_change)).content.decode()
    assert 'data-testid="reverse-diff"' in html and "National ID" in html
    assert "456C" in html  # last four only (sensitive)
    assert "QQ123456C" not in html and "AB123456C" not in html
    assert 'name="reason"' in html


def test_posting_a_reason_opens_the_rollback_ticket(national_id_change, personas):
    response = signed_in(personas["compliance"]).post(
        url(national_id_change), {"reason": "Typed into the wrong customer"}
    )
    rollback = Ticket.objects.get(rollback_of=national_id_change)
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:detail", args=[rollback.reference])


def test_a_missing_reason_is_a_form_error_and_opens_nothing(national_id_change, personas):
    response = signed_in(personas["compliance"]).post(url(national_id_change), {"reason": ""})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not Ticket.objects.filter(rollback_of=national_id_change).exists()


def test_a_ticket_that_cannot_be_rolled_back_says_why(customer, personas):
    commands = applied(customer, personas, "security", {"password_reset": True})
    http = signed_in(personas["compliance"])
    page = http.get(url(commands)).content.decode()
    assert "cannot be undone" in page and 'name="reason"' not in page
    response = http.post(url(commands), {"reason": "Undo it"}, follow=True)
    assert "cannot be undone" in response.content.decode()
    assert not Ticket.objects.filter(rollback_of=commands).exists()


@pytest.mark.parametrize("who", ["agent", "supervisor", "security"])
def test_other_roles_are_refused(national_id_change, personas, who):
    http = signed_in(personas[who])
    assert http.get(url(national_id_change)).status_code == 403
    assert http.post(url(national_id_change), {"reason": "x"}).status_code == 403


def test_compliance_of_another_client_gets_a_404(national_id_change, solaris):
    stranger = make_staff("solaris-compliance", "compliance", solaris)
    assert signed_in(stranger).get(url(national_id_change)).status_code == 404


@pytest.mark.parametrize("changes", [1, 6])
def test_the_confirm_page_costs_a_fixed_number_of_queries(
    northwind, personas, changes, django_assert_num_queries
):
    customer = complete_customer(northwind, emails=changes)
    second = customer.emails.filter(is_primary=False).first()
    data = {"email": "grace@navy.example", "email_make_primary": True}
    if second:  # more rows changed by the ticket: demoted and replaced ones
        data = {**data, "email_target": second.pk}
    ticket = applied(customer, personas, "contact", data)
    http = signed_in(personas["compliance"])
    http.get(url(ticket))
    # Expect 12: session, user, OTP device, permissions and roles (one query); the ticket with
    # its client, customer and people; the pending-rollback check; the ticket's items;
    # per model of the category: its history rows written by the ticket (each with the
    # id of the version before it) — e-mail, phone, address — and, for the model that
    # has some, the versions before and the rows now.
    with django_assert_num_queries(12):
        assert http.get(url(ticket)).status_code == 200


# --- from a past version -----------------------------------------------------------------


def version_url(record):
    return reverse(
        "rollback:version", args=[record.instance_type._meta.model_name, record.history_id]
    )


def test_a_past_version_is_restored_from_its_own_page(customer, personas):
    version = customer.personal.history.latest()
    applied(customer, personas, "personal", {"preferred_name": "Amazing Grace"})
    http = signed_in(personas["compliance"])
    page = http.get(version_url(version)).content.decode()
    assert "Preferred name" in page and f"Version {version.history_id}" in page
    response = http.post(version_url(version), {"reason": "Restore as it was"})
    rollback = Ticket.objects.get(channel=Channel.INTERNAL)
    assert response["Location"] == reverse("tickets:detail", args=[rollback.reference])
    assert rollback.items.get().new_value == ""


def test_an_unknown_version_is_a_404_and_other_roles_a_403(customer, personas):
    http = signed_in(personas["compliance"])
    assert (
        http.get(reverse("rollback:version", args=["personaldetails", 999999])).status_code == 404
    )
    assert http.get(reverse("rollback:version", args=["user", 1])).status_code == 404
    version = customer.personal.history.latest()
    assert signed_in(personas["agent"]).get(version_url(version)).status_code == 403


def test_a_version_of_another_clients_customer_is_a_404(solaris, personas):
    stranger = complete_customer(solaris)
    version = stranger.personal.history.latest()
    assert signed_in(personas["compliance"]).get(version_url(version)).status_code == 404


# --- the ticket page ---------------------------------------------------------------------


def test_the_ticket_page_offers_the_rollback_to_compliance_only(national_id_change, personas):
    detail = reverse("tickets:detail", args=[national_id_change.reference])
    assert (
        'data-testid="rollback-ticket"'
        in signed_in(personas["compliance"]).get(detail).content.decode()
    )
    assert (
        'data-testid="rollback-ticket"'
        not in signed_in(personas["agent"]).get(detail).content.decode()
    )


def test_both_tickets_link_to_each_other(national_id_change, personas):
    rollback = rollback_open(
        by=personas["compliance"], ticket=national_id_change, reason="Wrong customer"
    )
    http = signed_in(personas["compliance"])
    original_page = http.get(reverse("tickets:detail", args=[national_id_change.reference]))
    assert "Rollback requested in" in original_page.content.decode()
    assert 'data-testid="rollback-ticket"' not in original_page.content.decode()  # pending
    rollback_page = http.get(reverse("tickets:detail", args=[rollback.reference])).content.decode()
    assert "Rollback of" in rollback_page and national_id_change.reference in rollback_page
    # Waive verification from the panel, as compliance.
    assert 'data-testid="waive-verification"' in rollback_page
    through_the_floor(rollback, personas)
    original_page = http.get(reverse("tickets:detail", args=[national_id_change.reference]))
    html = original_page.content.decode()
    assert "Rolled back by" in html and rollback.reference in html
    national_id_change.refresh_from_db()
    assert national_id_change.state == State.ROLLED_BACK


def test_compliance_waives_verification_from_the_panel(national_id_change, personas):
    rollback = rollback_open(
        by=personas["compliance"], ticket=national_id_change, reason="Wrong customer"
    )
    response = signed_in(personas["compliance"]).post(
        reverse("verification:waive", args=[rollback.reference]), {"reason": "Not reachable"}
    )
    assert response.status_code == 302
    page = signed_in(personas["agent"]).get(reverse("tickets:detail", args=[rollback.reference]))
    assert 'data-testid="verification-waiver"' in page.content.decode()


def test_a_waiver_without_a_reason_is_refused_with_a_message(national_id_change, personas):
    rollback = rollback_open(
        by=personas["compliance"], ticket=national_id_change, reason="Wrong customer"
    )
    response = signed_in(personas["compliance"]).post(
        reverse("verification:waive", args=[rollback.reference]), {"reason": ""}, follow=True
    )
    assert "Give the reason" in response.content.decode()
    assert not hasattr(Ticket.objects.get(pk=rollback.pk), "verification_waiver")


def test_the_generic_move_form_cannot_mark_a_ticket_rolled_back(national_id_change, personas):
    http = signed_in(personas["supervisor"])
    response = http.post(
        reverse("tickets:move", args=[national_id_change.reference]),
        {"to": "rolled_back"},
        follow=True,
    )
    assert "rollback ticket is applied" in response.content.decode()
    national_id_change.refresh_from_db()
    assert national_id_change.state != State.ROLLED_BACK


def test_agents_cannot_open_back_office_tickets():
    assert Channel.INTERNAL not in dict(RequestStartForm.base_fields["channel"].choices)


def test_the_history_page_offers_restore_to_compliance_only(customer, personas):
    applied(customer, personas, "personal", {"preferred_name": "Amazing Grace"})
    history = reverse("audit:customer_history", args=[customer.pk])
    html = signed_in(personas["compliance"]).get(history).content.decode()
    assert 'data-testid="restore-version"' in html
    link = html.split('data-testid="restore-version"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert signed_in(personas["compliance"]).get(link).status_code == 200
    supervisor_html = signed_in(personas["supervisor"]).get(history).content.decode()
    assert 'data-testid="restore-version"' not in supervisor_html
