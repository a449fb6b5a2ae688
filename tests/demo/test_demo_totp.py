"""demo_totp: the code a newcomer without an authenticator app signs in with."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db


def test_demo_totp_prints_a_code_the_device_accepts(seed):
    seed(customers=0)
    out = StringIO()

    call_command("demo_totp", "solaris.supervisor", stdout=out)

    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    device = TOTPDevice.objects.get(user__username="solaris.supervisor")
    assert device.verify_token(code)


def test_demo_totp_names_an_unknown_user(seed):
    seed(customers=0)

    with pytest.raises(CommandError, match="nobody has no confirmed TOTP device"):
        call_command("demo_totp", "nobody")


def test_demo_totp_refuses_outside_demo_mode(seed, settings):
    seed(customers=0)
    settings.DEMO_MODE = False
    out = StringIO()

    with pytest.raises(CommandError, match="only runs in demo mode"):
        call_command("demo_totp", "northwind.agent", stdout=out)

    assert out.getvalue() == ""
