"""The default policies of docs/design.md §5: created for every new client, for every client that
existed before (migration 0003), and on first use as a safety net."""

import datetime as dt
import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from audit.models import AuditEvent
from profiledesk.clients.models import Client
from profiledesk.intake.fields import FIELD_SPECS
from profiledesk.policies.categories import Category
from profiledesk.policies.defaults import (
    DEFAULT_POLICIES,
    policies_ensure_defaults,
    policy_for,
)
from profiledesk.policies.models import BusinessHours, Policy
from tests.conftest import signed_in
from tests.factories import ClientFactory
from verification.status import required_level

from .builders import make_ticket

migration = importlib.import_module(
    "profiledesk.policies.migrations.0003_default_policies_for_existing_clients"
)

# docs/design.md §5, as a table: category -> (verification level, approval tiers, fields needing
# AL3, fields needing approval, dual confirmation, documents, self-service, cooling-off).
DESIGN_5 = {
    "personal": (
        2,
        0,
        {
            "personaldetails.legal_name",
            "personaldetails.date_of_birth",
            "personaldetails.national_id",
        },
        {"personaldetails.date_of_birth", "personaldetails.national_id"},
        False,
        False,
        False,
        0,
    ),
    "contact": (2, 0, set(), set(), True, False, False, 0),
    "security": (2, 0, set(), {"securitysettings.two_factor_reset"}, False, False, False, 24),
    "preferences": (1, 0, set(), set(), False, False, True, 0),
    "language_region": (1, 0, set(), set(), False, False, True, 0),
    "linked_accounts": (2, 0, set(), set(), False, False, False, 0),
    "billing": (2, 1, set(), set(), False, False, False, 24),
    "organisation": (3, 2, set(), set(), False, True, False, 0),
    "avatar": (1, 1, set(), set(), False, False, False, 0),
}


def _as_design(policy: Policy) -> tuple:
    return (
        policy.verification_level,
        policy.approval_tiers,
        set(policy.stricter_fields),
        set(policy.approval_fields),
        policy.dual_confirmation,
        policy.documents_required,
        policy.self_service,
        policy.cooling_off_hours,
    )


def _management(prefix: str, total: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _add_client_in_the_admin(user, **extra) -> Client:
    data = {
        "name": "Aurora Bank",
        "slug": "aurora",
        "customer_prefix": "AUR",
        "country": "IE",
        "time_zone": "Europe/Dublin",
        "brand_colour": "#1f4e79",  # the form's initial value, as the browser posts it
        "is_active": "on",
        **_management("memberships"),
        **_management("business_hours"),
        **_management("holidays"),
        **extra,
    }
    response = signed_in(user).post(reverse("admin:clients_client_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Client.objects.get(slug="aurora")


def test_a_client_added_in_the_admin_gets_the_nine_policies_of_design_5(personas):
    client = _add_client_in_the_admin(personas["desk_admin"])
    policies = {policy.category: policy for policy in client.policies.all()}
    assert {category: _as_design(policy) for category, policy in policies.items()} == DESIGN_5
    assert set(policies) == set(Category.values)
    assert all(policy.sla_minutes > 0 for policy in policies.values())


def test_a_client_added_in_the_admin_gets_office_hours_monday_to_friday(personas):
    client = _add_client_in_the_admin(personas["desk_admin"])
    assert list(client.business_hours.values_list("weekday", "opens", "closes")) == [
        (day, dt.time(8), dt.time(20)) for day in range(5)
    ]


def test_the_default_policies_are_recorded_as_set_up_by_the_desk_admin(personas):
    client = _add_client_in_the_admin(personas["desk_admin"])
    history = Policy.history.filter(client_id=client.pk)
    assert history.count() == 9
    assert {row.history_user_id for row in history} == {personas["desk_admin"].pk}


def test_hours_typed_in_while_adding_a_client_replace_the_default_office_hours(personas):
    client = _add_client_in_the_admin(
        personas["desk_admin"],
        **{
            **_management("business_hours", total=1),
            "business_hours-0-weekday": "5",
            "business_hours-0-opens": "10:00",
            "business_hours-0-closes": "14:00",
        },
    )
    assert list(client.business_hours.values_list("weekday", "opens", "closes")) == [
        (5, dt.time(10), dt.time(14))
    ]
    assert client.policies.count() == 9
    event = AuditEvent.objects.get(action="policy.calendar_changed")
    assert event.data == {"added": ["Saturday 10:00-14:00"]}


def test_ensuring_the_defaults_only_adds_the_missing_policies(northwind):
    policies_ensure_defaults(client=northwind)
    contact = northwind.policies.get(category=Category.CONTACT)
    contact.sla_minutes = 30
    contact.save()
    northwind.policies.filter(category=Category.AVATAR).delete()

    created = policies_ensure_defaults(client=northwind)

    assert [policy.category for policy in created] == [Category.AVATAR]
    assert northwind.policies.count() == 9
    assert northwind.policies.get(category=Category.CONTACT).sla_minutes == 30


def test_a_client_whose_hours_were_all_removed_stays_round_the_clock(northwind):
    policies_ensure_defaults(client=northwind)
    northwind.business_hours.all().delete()
    northwind.policies.filter(category=Category.AVATAR).delete()
    policies_ensure_defaults(client=northwind)
    assert not northwind.business_hours.exists()


def test_policy_for_sets_up_a_client_that_has_no_policies_yet(northwind):
    policy = policy_for(client=northwind, category=Category.BILLING)
    assert (policy.verification_level, policy.approval_tiers) == (2, 1)
    assert northwind.policies.count() == 9


def test_a_legal_name_change_needs_al3_under_the_default_policy(northwind):
    # The policy names fields as change items do; the verification step reads them.
    assert ("personal", "personaldetails.legal_name") in FIELD_SPECS
    ticket = make_ticket(
        northwind,
        category="personal",
        items=[("personal", "personaldetails.legal_name", "Grace Brewster Hopper")],
    )
    assert required_level(ticket) == 3


def test_every_field_a_default_policy_names_is_a_field_a_change_item_can_have():
    named = {
        (category, name)
        for category, values in DEFAULT_POLICIES.items()
        for key in ("stricter_fields", "approval_fields")
        for name in values.get(key, [])
    }
    assert named <= set(FIELD_SPECS)


# -- migration 0003: the clients that existed before ----------------------------------


def _run_migration() -> None:
    """Run 0003's function with the models as the migration sees them (no signals)."""
    state = MigrationExecutor(connection).loader.project_state(
        ("policies", "0003_default_policies_for_existing_clients")
    )
    migration.create_defaults(state.apps, None)


def test_the_migration_gives_every_existing_client_the_defaults_with_history(db):
    older = ClientFactory(slug="older")
    _run_migration()
    assert {p.category: _as_design(p) for p in older.policies.all()} == DESIGN_5
    assert older.business_hours.count() == 5
    history = Policy.history.filter(client_id=older.pk)
    assert history.count() == 9
    assert set(history.values_list("history_type", "history_change_reason")) == {
        ("+", migration.REASON)
    }
    assert BusinessHours.history.filter(client_id=older.pk).count() == 5


def test_the_migration_leaves_policies_a_client_already_has(db):
    older = ClientFactory(slug="older")
    policies_ensure_defaults(client=older)
    security = older.policies.get(category=Category.SECURITY)
    security.sla_minutes = 15
    security.save()
    older.policies.filter(category=Category.AVATAR).delete()
    _run_migration()
    assert older.policies.count() == 9
    assert older.policies.get(category=Category.SECURITY).sla_minutes == 15


@pytest.mark.parametrize("category", Category.values)
def test_the_migration_and_new_clients_get_the_same_defaults(category):
    assert migration.POLICIES[category] == {
        key: (int(value) if key == "verification_level" else value)
        for key, value in DEFAULT_POLICIES[category].items()
    }
