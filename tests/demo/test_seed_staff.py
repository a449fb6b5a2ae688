"""seed_demo's clients and staff: who can sign in to the demo, and how."""

import base64

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from profiledesk.accounts.models import User
from profiledesk.accounts.roles import Role
from profiledesk.clients.models import Client, Membership
from profiledesk.demo.staff import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_seed_creates_the_two_demo_clients(seed):
    seed()

    clients = {c.slug: c for c in Client.objects.all()}
    assert set(clients) == {"northwind", "solaris"}
    assert (clients["northwind"].name, clients["northwind"].country) == ("Northwind Energy", "GB")
    assert clients["northwind"].customer_prefix == "NWE"
    assert clients["northwind"].time_zone == "Europe/London"
    assert (clients["solaris"].name, clients["solaris"].country) == ("Solaris Telecom", "ES")
    assert clients["solaris"].customer_prefix == "SOL"
    assert clients["solaris"].time_zone == "Europe/Madrid"


@pytest.mark.parametrize("slug", ["northwind", "solaris"])
@pytest.mark.parametrize("role", list(Role))
def test_each_client_has_one_member_of_each_role_who_can_sign_in(seed, slug, role):
    seed()

    members = User.objects.filter(memberships__client__slug=slug, groups__name=role.value)
    assert members.count() == 1
    user = members.get()
    assert user.memberships.count() == 1
    assert user.check_password(DEMO_PASSWORD)
    assert len(DEMO_PASSWORD) >= 12
    assert user.is_staff == (role == Role.DESK_ADMIN)
    assert not user.is_superuser
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed


def test_totp_secrets_are_stable_across_runs(seed):
    seed()
    keys = dict(TOTPDevice.objects.values_list("user__username", "key"))
    TOTPDevice.objects.all().delete()

    seed()

    assert dict(TOTPDevice.objects.values_list("user__username", "key")) == keys
    assert len(set(keys.values())) == len(keys)  # and different for every user


def test_logins_are_printed_and_written_with_base32_totp_secrets(seed, logins_file):
    printed = seed()

    written = logins_file.read_text()
    assert oct(logins_file.stat().st_mode & 0o777) == "0o600"
    for device in TOTPDevice.objects.select_related("user"):
        secret = base64.b32encode(device.bin_key).decode()
        username = device.user.username
        for text in (printed, written):
            lines = [row for row in text.splitlines() if "demo_totp" not in row]
            line = next(row for row in lines if username in row)
            assert secret in line
            assert device.user.groups.get().name in line
    assert DEMO_PASSWORD in printed
    assert DEMO_PASSWORD in written


def test_seed_refuses_outside_demo_mode(settings, logins_file):
    settings.DEMO_MODE = False

    with pytest.raises(CommandError, match="only runs in demo mode"):
        call_command("seed_demo", customers=10, logins_file=logins_file)

    assert not Client.objects.exists()
    assert not User.objects.exists()
    assert not logins_file.exists()


def test_staff_of_both_clients_are_members_of_their_own_client_only(seed):
    seed()

    assert Membership.objects.count() == 10
    assert (
        not User.objects.filter(memberships__client__slug="northwind")
        .filter(memberships__client__slug="solaris")
        .exists()
    )
