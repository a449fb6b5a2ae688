"""Key journey: staff sign-in is a password *and* a TOTP code, enrolled on first sign-in;
the password alone opens nothing of the desk."""

import base64
import re
import time

import pytest
from django.contrib.auth.models import Group
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from audit.models import AuditEvent
from profiledesk.accounts.roles import Role
from tests.browser.conftest import sign_in_with_password, totp_code
from tests.factories import MembershipFactory, UserFactory, complete_customer

pytestmark = pytest.mark.browser

OTP_STEP = re.compile(r"/accounts/otp/(\?|$)")
OTP_SETUP = re.compile(r"/accounts/otp/setup/")


def code_for(secret: str, *, step: int = 0) -> str:
    """What an authenticator app shows for the base32 `secret` (`step` steps from now)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    t = int(time.time()) // 30 + step
    return f"{hotp(key, t):06d}"


def wait_out_otp_throttle(page: Page) -> None:
    # django-otp refuses any code for 1 s after a wrong one (doubling with each failure),
    # even a right one; a person takes longer than that to type the next code.
    page.wait_for_timeout(1_100)


@pytest.fixture
def newcomer(northwind):
    """An agent of Northwind on their first day: no authenticator enrolled yet."""
    user = UserFactory(username="newcomer")
    user.groups.add(Group.objects.get(name=Role.AGENT))
    MembershipFactory(user=user, client=northwind)
    return user


def test_first_sign_in_enrols_an_authenticator_app(page: Page, newcomer) -> None:
    # The password step leads a user without a device to the enrolment page.
    sign_in_with_password(page, newcomer)
    expect(page).to_have_url(OTP_SETUP)
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    qr = page.get_by_role("figure", name="QR code for your authenticator app")
    expect(qr.locator("img")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret

    # With only the password, the desk stays shut: back to the second-factor step.
    page.goto("/customers/")
    expect(page).to_have_url(OTP_SETUP)
    expect(page.get_by_role("link", name="Customers")).to_have_count(0)
    # The same secret is offered again: a reload does not invalidate the app just scanned.
    expect(page.get_by_test_id("totp-secret")).to_have_text(secret)

    # A wrong code is refused, with the error tied to the field.
    token = page.get_by_label("Code from your authenticator app")
    valid_now = {code_for(secret, step=s) for s in (-1, 0, 1)}
    token.fill(next(c for c in ("000000", "111111", "222222", "333333") if c not in valid_now))
    page.get_by_role("button", name="Confirm and continue").click()
    expect(token).to_have_attribute("aria-invalid", "true")
    expect(token).to_have_accessible_description(re.compile("does not match"))
    assert not TOTPDevice.objects.get(user=newcomer).confirmed

    # The code the app shows for that secret confirms the device and signs the user in.
    wait_out_otp_throttle(page)
    token.fill(code_for(secret))
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page.get_by_role("heading", name="Find a customer")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Your authenticator app is set up.")
    assert TOTPDevice.objects.get(user=newcomer).confirmed
    assert AuditEvent.objects.filter(action="staff.totp_enrolled", actor=newcomer).exists()


def test_the_password_alone_opens_nothing_and_a_code_works_once(
    page: Page, personas, northwind
) -> None:
    agent = personas["agent"]
    customer = complete_customer(northwind, legal_name="Grace Hopper")
    device = TOTPDevice.objects.get(user=agent)

    # After the password, the agent is asked for the code...
    sign_in_with_password(page, agent)
    expect(page.get_by_role("heading", name="Authenticator code")).to_be_visible()

    # ...and neither the search, nor a profile, nor a reveal is open to them yet.
    for url in ["/customers/", f"/customers/{customer.pk}/"]:
        page.goto(url)
        expect(page).to_have_url(OTP_STEP)
        expect(page.get_by_role("heading", name="Authenticator code")).to_be_visible()
    assert "Grace Hopper" not in page.content()
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    reveal = page.request.post(
        f"/customers/{customer.pk}/reveal/personal/{customer.personal.pk}/national_id/",
        headers={"X-CSRFToken": csrf},
        max_redirects=0,
    )
    assert reveal.status == 302
    assert OTP_STEP.search(reveal.headers["location"])
    assert not AuditEvent.objects.filter(action="customer.sensitive_revealed").exists()

    # The code from their app lets them in.
    code = totp_code(device)
    page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("button", name="Verify").click()
    # ...and take them to the page they last asked for.
    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))

    # Signed out and back in, the code just used is refused; the next one is accepted.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    sign_in_with_password(page, agent)
    token = page.get_by_label("Code from your authenticator app")
    token.fill(code)
    page.get_by_role("button", name="Verify").click()
    expect(token).to_have_accessible_description(re.compile("not right"))
    wait_out_otp_throttle(page)
    token.fill(totp_code(device))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Queue")  # home page
