"""The desk's front door: password, then TOTP; first sign-in enrols a device."""

import base64
import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from tests.conftest import signed_in
from tests.factories import TEST_PASSWORD, UserFactory


def code_for(device: TOTPDevice, *, offset: int = 0) -> str:
    """The code an authenticator app shows now (offset in 30 s steps)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=6, drift=offset):06d}"


def password_step(http: Client, username: str, password: str = TEST_PASSWORD):
    return http.post(reverse("accounts:login"), {"username": username, "password": password})


def test_password_alone_leads_to_the_code_step_and_nothing_else(agent):
    http = Client()
    response = password_step(http, agent.username)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp"))
    # Only the OTP step is reachable until the code is given.
    search = http.get(reverse("customers:search"))
    assert search.status_code == 302
    assert search["Location"] == f"{reverse('accounts:otp')}?next=%2Fcustomers%2F"


def test_password_then_code_signs_in_and_rotates_the_session_key(agent):
    http = Client()
    password_step(http, agent.username)
    key_after_password = http.session.session_key
    response = http.post(reverse("accounts:otp"), {"token": code_for(agent.totpdevice_set.get())})
    assert response.status_code == 302
    assert http.session.session_key != key_after_password
    assert http.get(reverse("customers:search")).status_code == 200
    actions = list(AuditEvent.objects.filter(actor=agent).values_list("action", flat=True))
    assert "staff.sign_in.password" in actions and "staff.sign_in.verified" in actions


def test_wrong_code_is_refused_with_a_message(agent):
    http = Client()
    password_step(http, agent.username)
    device = agent.totpdevice_set.get()
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = http.post(reverse("accounts:otp"), {"token": wrong})
    assert response.status_code == 200
    assert "not right" in response.content.decode()
    assert http.get(reverse("customers:search")).status_code == 302
    assert AuditEvent.objects.filter(action="staff.sign_in.otp_failed", actor=agent).exists()


def test_sign_in_returns_to_the_page_asked_for(agent, customer):
    http = Client()
    target = reverse("customers:profile", args=[customer.pk])
    first = http.get(target)
    login_url = first["Location"]
    response = http.post(login_url, {"username": agent.username, "password": TEST_PASSWORD})
    otp_url = response["Location"]
    response = http.post(otp_url, {"token": code_for(agent.totpdevice_set.get())})
    assert response["Location"] == target


def test_first_sign_in_enrols_an_authenticator_with_a_qr_code(db, northwind):
    newcomer = UserFactory(username="newcomer")
    http = Client()
    response = password_step(http, "newcomer")
    response = http.get(response["Location"], follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:otp_setup"))
    # The QR code is an image of the SVG the desk drew (no markup printed unescaped).
    qr = re.search(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', page).group(1)
    assert b"<svg" in base64.b64decode(qr)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    device = TOTPDevice.objects.get(user=newcomer)
    assert not device.confirmed
    # The secret shown is the device's key, as an app would take it.
    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    response = http.post(reverse("accounts:otp_setup"), {"token": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert http.get(reverse("accounts:sessions")).status_code == 200


def test_enrolment_page_is_not_offered_once_a_device_is_confirmed(agent):
    http = Client()
    password_step(http, agent.username)
    response = http.get(reverse("accounts:otp_setup"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:otp")
    assert TOTPDevice.objects.filter(user=agent).count() == 1


def test_a_code_cannot_be_used_twice(agent):
    device = agent.totpdevice_set.get()
    code = code_for(device)
    first = Client()
    password_step(first, agent.username)
    assert first.post(reverse("accounts:otp"), {"token": code}).status_code == 302
    second = Client()
    password_step(second, agent.username)
    assert second.post(reverse("accounts:otp"), {"token": code}).status_code == 200


@pytest.mark.parametrize("password", ["short-pass1", "12345678901234"])
def test_staff_passwords_need_twelve_characters_and_not_only_digits(agent, password):
    http = signed_in(agent)
    response = http.post(
        reverse("accounts:password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": password, "new_password2": password},
    )
    assert response.status_code == 200
    agent.refresh_from_db()
    assert agent.check_password(TEST_PASSWORD)


def test_a_long_password_is_accepted(agent):
    http = signed_in(agent)
    new = "a much longer passphrase 2026"
    response = http.post(
        reverse("accounts:password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.check_password(new)


def test_a_destination_with_a_query_string_survives_both_steps(agent):
    http = Client()
    target = f"{reverse('customers:search')}?q=grace&x=1"
    response = http.post(
        f"{reverse('accounts:login')}?next={target.replace('?', '%3F').replace('&', '%26')}",
        {"username": agent.username, "password": TEST_PASSWORD},
    )
    response = http.post(response["Location"], {"token": code_for(agent.totpdevice_set.get())})
    assert response["Location"] == target
