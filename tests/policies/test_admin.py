"""Desk admins edit policies, business hours and holidays in the Django admin."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from profiledesk.policies.categories import Category
from profiledesk.policies.defaults import policies_ensure_defaults
from profiledesk.policies.models import BusinessHours, Policy
from tests.conftest import signed_in
from tests.factories import ClientFactory, MembershipFactory

from .builders import holiday


@pytest.fixture
def desk_admin(personas, northwind):
    policies_ensure_defaults(client=northwind)
    return signed_in(personas["desk_admin"])


def _form_data(policy: Policy, **changes) -> dict:
    data = {
        "verification_level": policy.verification_level,
        "stricter_fields": policy.stricter_fields,
        "approval_tiers": policy.approval_tiers,
        "approvers_per_tier": policy.approvers_per_tier,
        "approval_fields": policy.approval_fields,
        "approval_sla_minutes": policy.approval_sla_minutes,
        "sla_minutes": policy.sla_minutes,
        "cooling_off_hours": policy.cooling_off_hours,
        "dual_confirmation": policy.dual_confirmation,
        "documents_required": policy.documents_required,
        "self_service": policy.self_service,
        **changes,
    }
    # Unticked checkboxes are simply absent from a browser's form.
    return {
        key: "on" if value is True else value for key, value in data.items() if value is not False
    }


def _change_url(policy: Policy) -> str:
    return reverse("admin:policies_policy_change", args=[policy.pk])


def test_the_policy_list_shows_a_clients_nine_policies(desk_admin, northwind):
    response = desk_admin.get(
        reverse("admin:policies_policy_changelist"), {"client__id__exact": northwind.pk}
    )
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 9
    for category in Category:
        assert str(category.label) in response.content.decode()


def test_the_policy_list_makes_as_many_queries_for_three_clients_as_for_one(desk_admin, personas):
    url = reverse("admin:policies_policy_changelist")
    with CaptureQueriesContext(connection) as one_client:
        desk_admin.get(url)
    for slug in ("second", "third"):
        client = ClientFactory(slug=slug)
        policies_ensure_defaults(client=client)
        MembershipFactory(user=personas["desk_admin"], client=client)  # theirs to configure
    with CaptureQueriesContext(connection) as three_clients:
        response = desk_admin.get(url)
    assert len(response.context["cl"].result_list) == 27
    # Session, user, permissions, the count, the page of policies with their clients,
    # the clients for the filter: the same whatever the number of rows.
    assert len(three_clients) == len(one_client)


def test_editing_a_policy_keeps_its_history_and_writes_an_audit_event(
    desk_admin, northwind, personas
):
    policy = northwind.policies.get(category=Category.CONTACT)
    response = desk_admin.post(_change_url(policy), _form_data(policy, sla_minutes=90))
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.sla_minutes == 90
    latest = policy.history.order_by("-history_id").first()
    assert latest.history_user == personas["desk_admin"]
    event = AuditEvent.objects.get(action="policy.changed")
    assert (event.client, event.actor) == (northwind, personas["desk_admin"])
    assert event.data == {"category": "contact", "changed": {"sla_minutes": [120, 90]}}


def test_a_policy_offers_the_fields_of_its_own_category(desk_admin, northwind):
    personal = northwind.policies.get(category=Category.PERSONAL)
    page = desk_admin.get(_change_url(personal)).content.decode()
    assert 'value="personaldetails.legal_name"' in page
    assert 'value="paymentcard.vault_token"' not in page


def test_a_field_of_another_category_is_refused(desk_admin, northwind):
    personal = northwind.policies.get(category=Category.PERSONAL)
    response = desk_admin.post(
        _change_url(personal), _form_data(personal, stricter_fields=["paymentcard.vault_token"])
    )
    assert response.status_code == 200
    assert "stricter_fields" in response.context["adminform"].form.errors


def test_more_than_two_approval_tiers_are_refused(desk_admin, northwind):
    billing = northwind.policies.get(category=Category.BILLING)
    response = desk_admin.post(_change_url(billing), _form_data(billing, approval_tiers=3))
    assert response.status_code == 200
    assert "approval_tiers" in response.context["adminform"].form.errors
    billing.refresh_from_db()
    assert billing.approval_tiers == 1


def test_a_policys_client_and_category_cannot_be_changed(desk_admin, northwind, solaris):
    contact = northwind.policies.get(category=Category.CONTACT)
    desk_admin.post(
        _change_url(contact), _form_data(contact, client=solaris.pk, category="billing")
    )
    contact.refresh_from_db()
    assert (contact.client, contact.category) == (northwind, Category.CONTACT)


def test_desk_admins_neither_add_nor_delete_policies(desk_admin, northwind):
    policy = northwind.policies.get(category=Category.CONTACT)
    assert desk_admin.get(reverse("admin:policies_policy_add")).status_code == 403
    delete = reverse("admin:policies_policy_delete", args=[policy.pk])
    assert desk_admin.post(delete, {"post": "yes"}).status_code == 403
    assert Policy.objects.filter(pk=policy.pk).exists()


def _hours_data(opens: str, closes: str, client) -> dict:
    return {"client": client.pk, "weekday": "5", "opens": opens, "closes": closes}


def test_business_hours_closing_before_they_open_are_refused(desk_admin, northwind):
    response = desk_admin.post(
        reverse("admin:policies_businesshours_add"), _hours_data("18:00", "09:00", northwind)
    )
    assert response.status_code == 200
    assert "closes" in response.context["adminform"].form.errors
    assert not northwind.business_hours.filter(weekday=5).exists()


def test_business_hours_may_close_at_midnight(desk_admin, northwind):
    response = desk_admin.post(
        reverse("admin:policies_businesshours_add"), _hours_data("16:00", "00:00", northwind)
    )
    assert response.status_code == 302
    hours = northwind.business_hours.get(weekday=5)
    assert (hours.opens, hours.closes) == (dt.time(16), dt.time(0))
    event = AuditEvent.objects.get(action="policy.calendar_changed")
    assert event.data == {"added": ["Saturday 16:00-00:00"]}


def test_removing_a_holiday_is_audited_and_kept_in_its_history(desk_admin, northwind):
    christmas = holiday(northwind, "2026-12-25", "Christmas Day")
    response = desk_admin.post(
        reverse("admin:policies_holiday_delete", args=[christmas.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert christmas.history.model.objects.filter(id=christmas.pk, history_type="-").exists()
    event = AuditEvent.objects.get(action="policy.calendar_changed")
    assert event.data == {"deleted": ["2026-12-25 Christmas Day"]}


def test_a_clients_hours_are_edited_on_the_client_page(desk_admin, northwind):
    page = desk_admin.get(reverse("admin:clients_client_change", args=[northwind.pk]))
    assert page.status_code == 200
    formsets = {formset.formset.prefix for formset in page.context["inline_admin_formsets"]}
    assert {"business_hours", "holidays"} <= formsets
    assert BusinessHours.objects.filter(client=northwind).count() == 5
