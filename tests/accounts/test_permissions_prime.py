"""Permissions and roles in one query (accounts/permissions.py, issue 20): the answers are
ModelBackend's and `roles_of`'s own, for any mix of groups, direct permissions, active and
superuser flags — it decides who sees what on every page."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, PermissionsMixin
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from profiledesk.accounts.models import User
from profiledesk.accounts.roles import Role, permission_named, roles_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SOME_PERMISSIONS = [
    "tickets.view_ticket",
    "tickets.work_ticket",
    "tickets.reassign_ticket",
    "customers.view_customer",
    "approvals.approve_tier1",
    "exports.export_evidence",
]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    active=st.booleans(),
    superuser=st.booleans(),
    roles=st.sets(st.sampled_from([role.value for role in Role])),
    direct=st.sets(st.sampled_from(SOME_PERMISSIONS)),
    extra_group=st.booleans(),
)
def test_the_answers_are_model_backends(active, superuser, roles, direct, extra_group):
    user = UserFactory(is_active=active, is_superuser=superuser)
    user.groups.set([Group.objects.get(name=role) for role in roles])
    if extra_group:  # a group that is no desk role, with a permission of its own
        other, _ = Group.objects.get_or_create(name="Auditors' club <b>")
        other.permissions.set([permission_named("exports.export_evidence")])
        user.groups.add(other)
    user.user_permissions.set([permission_named(p) for p in direct])

    primed = User.objects.get(pk=user.pk)
    plain = User.objects.get(pk=user.pk)  # asked through Django's own methods only
    django = PermissionsMixin
    assert primed.get_all_permissions() == django.get_all_permissions(plain)
    assert primed.get_user_permissions() == ModelBackend().get_user_permissions(plain)
    assert primed.get_group_permissions() == ModelBackend().get_group_permissions(plain)
    for perm in [*SOME_PERMISSIONS, "tickets.delete_ticket", "nope.nothing"]:
        fresh = User.objects.get(pk=user.pk)
        assert fresh.has_perm(perm) == django.has_perm(plain, perm), perm
    assert primed.has_perms(SOME_PERMISSIONS[:2]) == django.has_perms(plain, SOME_PERMISSIONS[:2])
    assert primed.has_module_perms("tickets") == django.has_module_perms(plain, "tickets")
    names = set(plain.groups.values_list("name", flat=True))
    assert roles_of(User.objects.get(pk=user.pk)) == names
    assert roles_of(primed) == names


def test_a_page_asking_permissions_and_roles_pays_one_query(django_assert_num_queries):
    user = UserFactory()
    user.groups.set([Group.objects.get(name=Role.SUPERVISOR), Group.objects.get(name=Role.AGENT)])
    fresh = User.objects.get(pk=user.pk)
    with django_assert_num_queries(1):
        assert fresh.has_perm("tickets.view_ticket")
        assert not fresh.has_perm("tickets.delete_ticket")
        assert roles_of(fresh) == {Role.SUPERVISOR.value, Role.AGENT.value}
        assert "tickets.work_ticket" in fresh.get_all_permissions()


def test_an_object_permission_is_still_djangos_answer():
    """Object permissions are ModelBackend's "no" whatever the user holds."""
    user = UserFactory()
    user.groups.set([Group.objects.get(name=Role.SUPERVISOR)])
    fresh = User.objects.get(pk=user.pk)
    assert not fresh.has_perm("tickets.view_ticket", obj=fresh)
    assert fresh.has_perm("tickets.view_ticket")
