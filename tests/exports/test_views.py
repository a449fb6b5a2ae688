"""The exports pages: compliance only (403 for other roles, 404 for another client's
export or customer), forms that refuse bad input, downloads that are audited, and a
list page whose query count does not grow with its rows."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from profiledesk.accounts.roles import Role
from profiledesk.exports.models import Export, Format, Kind, Status
from tests.conftest import make_staff, signed_in
from tests.factories import complete_customer

from .helpers import built, queued_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def compliance(personas):
    return personas["compliance"]


@pytest.fixture
def solaris_compliance(solaris):
    return make_staff("solaris-compliance", Role.COMPLIANCE, solaris)


@pytest.fixture
def done_export(northwind, compliance):
    export = queued_export(northwind, compliance)
    built(export)
    export.refresh_from_db()
    return export


# --- requesting ------------------------------------------------------------------------


def test_compliance_requests_an_audit_event_export_of_a_date_range(compliance, northwind):
    response = signed_in(compliance).post(
        reverse("exports:audit_events"),
        {"since": "2026-03-01", "until": "2026-03-31", "format": "json"},
    )

    assert response.status_code == 302
    export = Export.objects.get()
    assert (export.client, export.kind, export.format) == (northwind, "audit_events", "json")
    # The last day is included: the range ends at the next midnight (UTC).
    assert export.since == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert export.until == dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    assert AuditEvent.objects.filter(action="export.requested", target_id=str(export.pk)).exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"since": "2026-03-31", "until": "2026-03-01"}, "before its start"),
        ({"since": "2025-01-01", "until": "2026-03-01"}, "at most 366 days"),
        ({"since": "yesterday", "until": "2026-03-01"}, "Enter a valid date"),
        ({"since": "2026-03-01", "until": "2026-03-02", "format": "xlsx"}, "valid choice"),
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_requested(compliance, northwind, data, error):
    response = signed_in(compliance).post(
        reverse("exports:audit_events"), {"format": "csv", **data}
    )

    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Export.objects.exists()


def test_a_compliance_member_of_several_clients_chooses_one(compliance, solaris):
    from tests.factories import MembershipFactory

    MembershipFactory(user=compliance, client=solaris)
    http = signed_in(compliance)
    data = {"since": "2026-03-01", "until": "2026-03-02", "format": "csv"}

    assert http.post(reverse("exports:audit_events"), data).status_code == 400
    response = http.post(reverse("exports:audit_events"), {**data, "client": solaris.pk})
    assert response.status_code == 302
    assert Export.objects.get().client == solaris


def test_a_customers_history_and_dsar_exports_are_requested_from_the_buttons(compliance, customer):
    http = signed_in(compliance)
    history = http.post(reverse("exports:customer_history", args=[customer.pk]), {"format": "json"})
    dsar = http.post(reverse("exports:dsar", args=[customer.pk]))

    assert history.status_code == dsar.status_code == 302
    assert sorted(Export.objects.values_list("kind", "format", "customer")) == [
        ("customer_history", "json", customer.pk),
        ("dsar", "json", customer.pk),
    ]


def test_another_clients_customer_is_a_404_and_other_roles_a_403(
    personas, customer, solaris_compliance
):
    url = reverse("exports:dsar", args=[customer.pk])
    assert signed_in(solaris_compliance).post(url).status_code == 404
    for role in ["agent", "supervisor", "security", "desk_admin"]:
        assert signed_in(personas[role]).post(url).status_code == 403
    assert not Export.objects.exists()


def test_the_buttons_show_for_compliance_only(personas, customer, rf):
    from django.template.loader import render_to_string

    def buttons(user):
        request = rf.get("/")
        request.user = user
        return render_to_string(
            "exports/_customer_buttons.html", {"customer": customer}, request=request
        )

    assert reverse("exports:dsar", args=[customer.pk]) in buttons(personas["compliance"])
    assert buttons(personas["supervisor"]).strip() == ""


# --- downloading ---------------------------------------------------------------------------


def test_compliance_downloads_a_finished_export_and_the_download_is_audited(
    compliance, done_export
):
    response = signed_in(compliance).get(reverse("exports:download", args=[done_export.pk]))

    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(b"id,created_at,action")
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="export.downloaded")
    assert (event.actor, event.target_id) == (compliance, str(done_export.pk))
    assert event.data["sha256"] == done_export.sha256


def test_any_compliance_member_of_the_client_may_download_not_only_the_requester(
    northwind, done_export
):
    colleague = make_staff("compliance-2", Role.COMPLIANCE, northwind)
    response = signed_in(colleague).get(reverse("exports:download", args=[done_export.pk]))
    assert response.status_code == 200


def test_other_roles_get_403_and_another_client_404_and_nothing_is_audited(
    personas, done_export, solaris_compliance
):
    url = reverse("exports:download", args=[done_export.pk])
    for role in ["agent", "supervisor", "security", "desk_admin"]:
        assert signed_in(personas[role]).get(url).status_code == 403
    assert signed_in(solaris_compliance).get(url).status_code == 404
    assert not AuditEvent.objects.filter(action="export.downloaded").exists()


def test_an_export_still_being_built_is_a_409_and_an_expired_one_a_410(
    compliance, northwind, done_export
):
    http = signed_in(compliance)
    running = queued_export(northwind, compliance)
    response = http.get(reverse("exports:download", args=[running.pk]))
    assert response.status_code == 409
    assert "not ready yet" in response.content.decode()

    done_export.expires_at = timezone.now() - dt.timedelta(seconds=1)
    done_export.save(update_fields=["expires_at"])
    response = http.get(reverse("exports:download", args=[done_export.pk]))
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not AuditEvent.objects.filter(action="export.downloaded").exists()


# --- the list and its progress -------------------------------------------------------------


def test_the_list_shows_progress_and_polls_only_while_an_export_is_open(
    compliance, northwind, done_export
):
    running = queued_export(northwind, compliance)
    Export.objects.filter(pk=running.pk).update(status=Status.RUNNING, total=200, done=50)
    page = signed_in(compliance).get(reverse("exports:list")).content.decode()

    assert 'aria-valuenow="25"' in page
    assert page.count('hx-trigger="every 2s"') == 1
    assert reverse("exports:progress", args=[running.pk]) in page
    assert '"X-Desk-Background": "1"' in page
    assert reverse("exports:download", args=[done_export.pk]) in page


def test_the_progress_partial_is_the_row_and_stops_polling_once_done(compliance, done_export):
    response = signed_in(compliance).get(
        reverse("exports:progress", args=[done_export.pk]), HTTP_X_DESK_BACKGROUND="1"
    )
    row = response.content.decode()
    assert row.lstrip().startswith("<tr")
    assert "hx-trigger" not in row
    assert 'aria-valuenow="100"' in row


def test_the_list_shows_only_the_staff_members_clients(
    compliance, solaris, solaris_compliance, done_export
):
    queued_export(solaris, solaris_compliance)
    page = signed_in(compliance).get(reverse("exports:list")).content.decode()
    assert page.count('data-testid="export-row"') == 1


def test_the_list_takes_a_fixed_number_of_queries(compliance, northwind, django_assert_num_queries):
    http = signed_in(compliance)
    queued_export(northwind, compliance)
    http.get(reverse("exports:list"))  # warm the session
    # Expect 6 queries: session, user, TOTP device, the user's permissions and roles (one
    # query: accounts/permissions.py), the exports with client, requester and customer
    # (one join), the form's clients.
    with django_assert_num_queries(6):
        http.get(reverse("exports:list"))
    other = complete_customer(northwind)
    for _ in range(5):
        queued_export(northwind, compliance, kind=Kind.DSAR, fmt=Format.JSON, customer=other)
    with django_assert_num_queries(6):
        response = http.get(reverse("exports:list"))
    assert response.content.decode().count('data-testid="export-row"') == 6


def test_a_dsar_has_a_readable_copy_whose_viewing_is_audited(compliance, customer):
    from profiledesk.exports.services import export_request
    from tests.connectors.helpers import connector_for

    connector_for(customer.client, url="https://crm.example/h", name="Northwind CRM")
    export = export_request(
        by=compliance, kind=Kind.DSAR, fmt=Format.JSON, client=customer.client, customer=customer
    )
    built(export)

    response = signed_in(compliance).get(reverse("exports:dsar_readable", args=[export.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Northwind CRM" in page
    assert "Grace Hopper" in page
    assert customer.personal.national_id in page  # the data subject's own copy
    assert "https://crm.example/h" not in page
    event = AuditEvent.objects.get(action="export.downloaded")
    assert event.data["rendition"] == "html"


def test_only_a_dsar_has_a_readable_copy(compliance, done_export):
    response = signed_in(compliance).get(reverse("exports:dsar_readable", args=[done_export.pk]))
    assert response.status_code == 404


def test_another_clients_events_cannot_be_requested(compliance, solaris):
    response = signed_in(compliance).post(
        reverse("exports:audit_events"),
        {"client": solaris.pk, "since": "2026-03-01", "until": "2026-03-02", "format": "csv"},
    )
    assert response.status_code == 400
    assert "valid choice" in response.content.decode()
    assert not Export.objects.exists()
