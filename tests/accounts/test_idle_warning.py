"""The idle sign-out's warning, server side: asking how long is left is not activity, and
"Stay signed in" really keeps the session (the page's part: tests/browser/test_idle_warning.py)."""

import datetime as dt

import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from profiledesk.accounts.middleware import BACKGROUND_HEADER
from tests.conftest import signed_in

STATUS, STAY = reverse("accounts:session_idle"), reverse("accounts:session_stay")


def test_asking_how_long_is_left_does_not_keep_the_session_alive(agent):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        http = signed_in(agent)
        clock.shift(dt.timedelta(minutes=13))
        answer = http.get(STATUS, **{BACKGROUND_HEADER: "1"})
        assert answer.status_code == 200 and answer.json() == {"remaining": 120}
        clock.shift(dt.timedelta(minutes=2, seconds=1))
        # The warning's poll is not activity: the session ended on time.
        assert http.get(STATUS, **{BACKGROUND_HEADER: "1"})["Location"] == reverse("accounts:login")


def test_stay_signed_in_restarts_the_idle_clock_on_the_server(agent):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        http = signed_in(agent)
        clock.shift(dt.timedelta(minutes=14))
        answer = http.post(STAY, **{BACKGROUND_HEADER: "1"})
        assert answer.status_code == 200 and answer.json() == {"remaining": 15 * 60}
        clock.shift(dt.timedelta(minutes=14))  # 28 minutes since the last page
        assert http.get(reverse("accounts:sessions")).status_code == 200


def test_stay_signed_in_cannot_revive_a_session_that_has_ended(agent):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        http = signed_in(agent)
        clock.shift(dt.timedelta(minutes=16))
        assert http.post(STAY)["Location"] == reverse("accounts:login")
        assert http.get(reverse("accounts:sessions"))["Location"].startswith(
            reverse("accounts:login")
        )


def test_stay_signed_in_needs_the_csrf_token(agent):
    http = signed_in(agent)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = http.cookies
    assert strict.post(STAY).status_code == 403
