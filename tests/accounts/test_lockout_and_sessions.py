"""PCI DSS 8.3.4 lock-out and 8.2.8 session limits; ending sessions."""

import datetime as dt

import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from profiledesk.accounts.middleware import BACKGROUND_HEADER
from profiledesk.accounts.models import StaffSession
from tests.accounts.test_sign_in import code_for, password_step
from tests.conftest import signed_in


def _fail(username: str, times: int, *, address: str = "10.0.0.1") -> None:
    for i in range(times):
        Client(REMOTE_ADDR=address).post(
            reverse("accounts:login"), {"username": username, "password": f"wrong-{i}"}
        )


def test_ten_failures_lock_the_account_even_with_the_right_password(agent):
    _fail(agent.username, 10)
    response = password_step(Client(), agent.username)
    assert response.status_code == 429
    assert "locked" in response.content.decode()
    assert AuditEvent.objects.filter(action="staff.sign_in.failed").count() >= 10


def test_nine_failures_do_not_lock(agent):
    _fail(agent.username, 9)
    response = password_step(Client(), agent.username)
    assert response.status_code == 302


def test_the_lock_follows_the_account_across_addresses(agent):
    for i in range(10):
        _fail(agent.username, 1, address=f"10.0.{i}.1")
    response = password_step(Client(REMOTE_ADDR="192.0.2.77"), agent.username)
    assert response.status_code == 429


def test_the_lock_does_not_touch_colleagues_on_the_same_address(personas):
    _fail(personas["agent"].username, 10, address="10.9.9.9")
    response = password_step(Client(REMOTE_ADDR="10.9.9.9"), personas["supervisor"].username)
    assert response.status_code == 302


def test_the_lock_lifts_after_thirty_minutes(agent):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _fail(agent.username, 10)
        clock.shift(dt.timedelta(minutes=29))
        assert password_step(Client(), agent.username).status_code == 429
        clock.shift(dt.timedelta(minutes=2))
        assert password_step(Client(), agent.username).status_code == 302


def test_idle_sessions_end_after_fifteen_minutes(agent):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        http = signed_in(agent)
        clock.shift(dt.timedelta(minutes=14))
        assert http.get(reverse("accounts:sessions")).status_code == 200
        clock.shift(dt.timedelta(minutes=14))  # 14 idle minutes since the last request
        assert http.get(reverse("accounts:sessions")).status_code == 200
        clock.shift(dt.timedelta(minutes=16))
        response = http.get(reverse("accounts:sessions"))
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:login")
        # Signed out for good: the next request is anonymous.
        assert http.get(reverse("accounts:sessions"))["Location"].startswith(
            reverse("accounts:login")
        )


def test_background_refreshes_do_not_keep_a_session_alive(agent):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        http = signed_in(agent)
        for _ in range(4):
            clock.shift(dt.timedelta(minutes=5))
            http.get(reverse("accounts:sessions"), **{BACKGROUND_HEADER: "1"})
        response = http.get(reverse("accounts:sessions"))
        assert response.status_code == 302


def test_every_session_ends_after_twelve_hours_however_active(agent):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        http = signed_in(agent)
        for _ in range(11 * 6):  # a request every 10 minutes for 11 hours
            clock.shift(dt.timedelta(minutes=10))
            assert http.get(reverse("accounts:sessions")).status_code == 200
        clock.shift(dt.timedelta(minutes=61))
        assert http.get(reverse("accounts:sessions")).status_code == 302


def _signed_in_through_the_form(user) -> Client:
    http = Client(HTTP_USER_AGENT="test-browser")
    password_step(http, user.username)
    http.post(reverse("accounts:otp"), {"token": code_for(user.totpdevice_set.get())})
    return http


def test_sign_out_of_all_other_sessions(agent):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        desk_pc = _signed_in_through_the_form(agent)
        clock.shift(dt.timedelta(seconds=31))  # the next code: a code is single-use
        laptop = _signed_in_through_the_form(agent)
        assert StaffSession.objects.filter(user=agent).count() == 2
        response = laptop.post(reverse("accounts:sessions_end_others"))
        assert response.status_code == 302
        assert laptop.get(reverse("accounts:sessions")).status_code == 200
        assert desk_pc.get(reverse("accounts:sessions")).status_code == 302
        assert StaffSession.objects.filter(user=agent).count() == 1


def test_sessions_page_lists_own_sessions_only(personas):
    _signed_in_through_the_form(personas["agent"])
    http = _signed_in_through_the_form(personas["supervisor"])
    page = http.get(reverse("accounts:sessions")).content.decode()
    assert page.count("test-browser") == 1


def test_a_desk_admin_ends_anyones_sessions_from_the_admin(personas):
    agent = personas["agent"]
    agents_browser = _signed_in_through_the_form(agent)
    admin = signed_in(personas["desk_admin"])
    response = admin.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "end_all_sessions", "_selected_action": [agent.pk]},
    )
    assert response.status_code == 302
    assert agents_browser.get(reverse("accounts:sessions")).status_code == 302
    assert not Session.objects.filter(
        session_key__in=StaffSession.objects.filter(user=agent).values("session_key")
    ).exists()
    assert AuditEvent.objects.filter(
        action="staff.sessions_ended_by_admin", target_id=str(agent.pk)
    ).exists()


def test_signing_out_ends_the_session_record(agent):
    http = _signed_in_through_the_form(agent)
    assert StaffSession.objects.filter(user=agent).exists()
    http.post(reverse("accounts:logout"))
    assert not StaffSession.objects.filter(user=agent).exists()
    assert http.get(reverse("accounts:sessions")).status_code == 302
