"""Fixed personas (STYLE 7): one staff member per role in client "Northwind", plus an
outsider who works only for another client. factory_boy makes the variants."""

import time

import pytest
from django.contrib.auth.models import Group
from django.test import Client as HttpClient
from django_otp import DEVICE_ID_SESSION_KEY

from audit import history_guard
from profiledesk.accounts.middleware import SESSION_SEEN, SESSION_STARTED
from profiledesk.accounts.roles import Role
from tests.factories import (
    ClientFactory,
    MembershipFactory,
    TOTPDeviceFactory,
    UserFactory,
    complete_customer,
)

ROLES = [r.value for r in Role]


@pytest.fixture(autouse=True, scope="session")
def _history_guard():
    """QuerySet.update()/bulk_* on a history-tracked model fails the test (docs/design.md §7)."""
    history_guard.install()
    yield
    history_guard.uninstall()


@pytest.fixture(autouse=True)
def _cache_forgotten():
    """Each test starts with an empty cache: ticket presence (tickets/presence.py) is keyed
    by ticket id, which the next test's database gives out again."""
    from django.core.cache import cache

    yield
    cache.clear()


@pytest.fixture
def northwind(db):
    return ClientFactory(slug="northwind", name="Northwind Energy", customer_prefix="NWE")


@pytest.fixture
def solaris(db):
    return ClientFactory(
        slug="solaris",
        name="Solaris Telecom",
        customer_prefix="SOL",
        country="ES",
        time_zone="Europe/Madrid",
    )


def make_staff(username: str, role: str, *clients, is_staff: bool = False):
    user = UserFactory(username=username, is_staff=is_staff)
    user.groups.add(Group.objects.get(name=role))
    for client in clients:
        MembershipFactory(user=user, client=client)
    TOTPDeviceFactory(user=user)
    return user


@pytest.fixture
def personas(northwind, solaris):
    """{role: user} for every role in Northwind, and "outsider": an agent of Solaris."""
    people = {
        role: make_staff(role, role, northwind, is_staff=role == Role.DESK_ADMIN) for role in ROLES
    }
    people["outsider"] = make_staff("outsider", Role.AGENT, solaris)
    return people


@pytest.fixture
def agent(personas):
    return personas["agent"]


def signed_in(user, *, verified: bool = True) -> HttpClient:
    """A test client signed in with password (and the second factor, if `verified`)."""
    http = HttpClient()
    http.force_login(user)
    session = http.session
    if verified:
        session[DEVICE_ID_SESSION_KEY] = user.totpdevice_set.get().persistent_id
    now = int(time.time())
    session[SESSION_STARTED] = now
    session[SESSION_SEEN] = now
    session.save()
    return http


@pytest.fixture
def customer(northwind):
    return complete_customer(northwind, legal_name="Grace Hopper")


def pytest_configure(config):
    """The translation catalogues compiled (stale ones only) before any test reads one, so
    that a plain `pytest` sees the Spanish `make test` would (profiledesk.i18n.catalogues)."""
    from profiledesk.i18n.catalogues import compile_all

    compile_all()
