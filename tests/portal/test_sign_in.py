"""Signing in to the portal: the abuse cases first (issue 17) — enumeration, wrong codes,
the lock-out shared with the desk, replay, fixation, expiry, CSRF, another client."""

import datetime as dt

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from profiledesk.portal.models import PortalSession, SignInCode
from profiledesk.portal.services import key_hash
from tests.factories import EmailAddressFactory, complete_customer
from verification.models import Lock, Method
from verification.status import active_lock, failures_since

from .conftest import ask_code, cookie, page_text, sign_in, type_code, wrong

pytestmark = pytest.mark.django_db


def _home(slug):
    return reverse("portal:home", kwargs={"slug": slug})


def test_a_code_goes_to_a_verified_contact_and_signs_the_customer_in(
    northwind, customer, email, codes
):
    http = HttpClient()
    response = ask_code(http, northwind.slug, email.upper())
    assert response.status_code == 302
    assert [sent.to for sent in codes] == [email]
    row = SignInCode.objects.get()
    assert row.code_hash != codes[0].code and codes[0].code not in row.code_hash
    response = type_code(http, northwind.slug, codes[0].code)
    assert response.status_code == 302 and response["Location"] == _home(northwind.slug)
    page = http.get(_home(northwind.slug))
    assert page.status_code == 200
    assert "Grace Hopper" not in page.content.decode()  # masked, as in the messages


def test_a_phone_on_file_is_found_as_typed_nationally(northwind, customer, codes):
    phone = customer.phones.get(is_primary=True).number  # +4477009…
    http = HttpClient()
    ask_code(http, northwind.slug, "0" + phone[3:])  # the national form, GB
    assert [sent.to for sent in codes] == [phone]


def _answer(http, slug, contact):
    response = ask_code(http, slug, contact)
    follow = http.get(response["Location"]) if response.status_code == 302 else response
    return response.status_code, response.get("Location"), follow.status_code, page_text(follow)


def test_the_answer_is_the_same_for_a_contact_on_file_and_one_not_on_file(
    northwind, customer, email, codes
):
    known = _answer(HttpClient(), northwind.slug, email)
    unknown = _answer(HttpClient(), northwind.slug, "nobody@example.com")
    assert known == unknown
    assert len(codes) == 1  # only the real one received anything
    assert SignInCode.objects.count() == 2  # the same rows written both ways


def test_an_unverified_contact_gets_nothing(northwind, customer, codes):
    unverified = EmailAddressFactory(customer=customer, is_primary=False, verified_at=None)
    known = _answer(HttpClient(), northwind.slug, "nobody@example.com")
    assert _answer(HttpClient(), northwind.slug, unverified.email) == known
    assert codes == []


def test_another_clients_slug_with_this_customers_contact_sends_nothing(
    northwind, solaris, customer, email, codes
):
    http = HttpClient()
    ask_code(http, solaris.slug, email)
    assert codes == []
    # And a Northwind session does not open Solaris's pages.
    sign_in(http, northwind.slug, email, codes)
    assert http.get(_home(solaris.slug)).status_code == 302


def test_a_wrong_code_for_an_unknown_contact_reads_as_for_a_known_one(
    northwind, customer, email, codes
):
    known, unknown = HttpClient(), HttpClient()
    ask_code(known, northwind.slug, email)
    ask_code(unknown, northwind.slug, "nobody@example.com")
    for _ in range(3):
        a = type_code(known, northwind.slug, wrong(codes[0].code))
        b = type_code(unknown, northwind.slug, wrong(codes[0].code))
        assert (a.status_code, page_text(a)) == (b.status_code, page_text(b))


def test_wrong_codes_lock_the_customer_with_the_desks_count(
    northwind, customer, email, codes, settings
):
    settings.VERIFICATION_LOCK_AFTER_FAILURES = 3
    http = HttpClient()
    ask_code(http, northwind.slug, email)
    for _ in range(3):
        response = type_code(http, northwind.slug, wrong(codes[0].code))
        assert response.status_code == 400
    assert active_lock(customer) is not None
    assert "paused" in response.content.decode()
    # Even the right code does nothing now, and no new code goes out.
    assert type_code(http, northwind.slug, codes[0].code).status_code == 400
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        ask_code(HttpClient(), northwind.slug, email)
    assert len(codes) == 1


def test_portal_failures_count_toward_the_desks_lock_out(northwind, customer, email, codes):
    http = HttpClient()
    ask_code(http, northwind.slug, email)
    type_code(http, northwind.slug, wrong(codes[0].code))
    type_code(http, northwind.slug, wrong(codes[0].code))
    # The desk's wizard asks the same count (verification.status.failures_since).
    assert failures_since(customer, Method.OTP, timezone.now()) == 2


def test_a_lock_written_by_the_desk_stops_the_portal(northwind, customer, email, codes):
    now = timezone.now()
    Lock.objects.create(
        customer=customer, created_at=now, locked_until=now + dt.timedelta(minutes=30), reason="x"
    )
    ask_code(HttpClient(), northwind.slug, email)
    assert codes == []


def test_a_used_code_cannot_be_replayed(northwind, customer, email, codes):
    http = sign_in(HttpClient(), northwind.slug, email, codes)
    http.post(reverse("portal:sign_out", kwargs={"slug": northwind.slug}))
    # The old waiting session is gone; a stolen copy of its cookie does not help either.
    replay = HttpClient()
    row = SignInCode.objects.get()
    waiting = PortalSession.objects.filter(code=row, customer__isnull=True).get()
    assert waiting.ended_at is not None
    ask_code(replay, northwind.slug, "nobody@example.com")
    assert type_code(replay, northwind.slug, codes[0].code).status_code == 400


def test_sign_in_gives_a_new_session_key(northwind, customer, email, codes):
    http = HttpClient()
    ask_code(http, northwind.slug, email)
    before = cookie(http)
    type_code(http, northwind.slug, codes[0].code)
    after = cookie(http)
    assert before and after and before != after
    # The key an attacker planted before sign-in opens nothing.
    planted = HttpClient()
    planted.cookies["pd_portal"] = before
    assert planted.get(_home(northwind.slug)).status_code == 302
    assert PortalSession.objects.get(key_hash=key_hash(before)).ended_at is not None


def test_the_cookie_is_scoped_to_the_portal_and_http_only(northwind, customer, email, codes):
    http = sign_in(HttpClient(), northwind.slug, email, codes)
    morsel = http.cookies["pd_portal"]
    assert morsel["path"] == "/portal/" and morsel["httponly"] and morsel["samesite"] == "Lax"
    assert "sessionid" not in http.cookies  # no staff (Django) session was made


def test_a_session_ends_after_15_idle_minutes(northwind, customer, email, codes):
    http = sign_in(HttpClient(), northwind.slug, email, codes)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=14)):
        assert http.get(_home(northwind.slug)).status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=14 + 16)):
        assert http.get(_home(northwind.slug)).status_code == 302


def test_a_session_ends_after_an_hour_however_active(northwind, customer, email, codes):
    http = sign_in(HttpClient(), northwind.slug, email, codes)
    start = timezone.now()
    for minutes in range(10, 60, 10):
        with time_machine.travel(start + dt.timedelta(minutes=minutes)):
            assert http.get(_home(northwind.slug)).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=61)):
        assert http.get(_home(northwind.slug)).status_code == 302


def test_sign_out_ends_the_session(northwind, customer, email, codes):
    http = sign_in(HttpClient(), northwind.slug, email, codes)
    key = cookie(http)
    http.post(reverse("portal:sign_out", kwargs={"slug": northwind.slug}))
    again = HttpClient()
    again.cookies["pd_portal"] = key
    assert again.get(_home(northwind.slug)).status_code == 302


def test_a_staff_session_does_not_open_the_portal(northwind, customer, personas):
    from tests.conftest import signed_in

    assert signed_in(personas["agent"]).get(_home(northwind.slug)).status_code == 302


def test_a_portal_session_does_not_open_the_desk(portal):
    response = portal.get(reverse("tickets:queue"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_every_form_needs_csrf(northwind, customer, email, codes):
    http = HttpClient(enforce_csrf_checks=True)
    assert ask_code(http, northwind.slug, email).status_code == 403
    assert codes == []


def test_codes_are_limited_per_contact_typed(northwind, customer, email, codes):
    start = timezone.now()
    for minutes in (0, 2, 4):
        with time_machine.travel(start + dt.timedelta(minutes=minutes)):
            assert ask_code(HttpClient(), northwind.slug, email).status_code == 302
    with time_machine.travel(start + dt.timedelta(minutes=6)):
        refused = ask_code(HttpClient(), northwind.slug, email)
        unknown = [
            ask_code(HttpClient(), northwind.slug, "nobody@example.com").status_code
            for _ in range(1)
        ]
    assert refused.status_code == 400 and "hour" in refused.content.decode()
    assert len(codes) == 3 and unknown == [302]


def test_codes_are_limited_per_address(northwind, codes):
    start = timezone.now()
    statuses = []
    for n in range(11):
        with time_machine.travel(start + dt.timedelta(seconds=n)):
            statuses.append(ask_code(HttpClient(), northwind.slug, f"x{n}@example.com").status_code)
    assert statuses == [302] * 10 + [400]


def test_a_second_customer_cannot_sign_in_with_the_firsts_code(northwind, customer, email, codes):
    other = complete_customer(northwind, legal_name="Ada Lovelace")
    http = HttpClient()
    ask_code(http, northwind.slug, other.emails.get().email)
    assert type_code(http, northwind.slug, codes[-1].code).status_code == 302
    assert (
        PortalSession.objects.get(ended_at__isnull=True, customer__isnull=False).customer == other
    )


def test_old_sign_in_rows_are_purged_after_a_week(northwind, customer, email, codes, settings):
    from profiledesk.portal.services import portal_purge
    from profiledesk.portal.tasks import portal_purge_task

    http = HttpClient()
    ask_code(http, northwind.slug, email)
    type_code(http, northwind.slug, wrong(codes[0].code))
    assert portal_purge() == 0
    assert settings.CELERY_BEAT_SCHEDULE["portal-purge"]["task"] == "portal.purge"
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        assert portal_purge_task() == 3  # the session, the failure, the code
        assert not SignInCode.objects.exists() and not PortalSession.objects.exists()


def test_a_locked_customer_and_an_unknown_contact_read_the_same(
    northwind, customer, email, codes, settings
):
    settings.VERIFICATION_LOCK_AFTER_FAILURES = 3
    known, unknown = HttpClient(), HttpClient()
    ask_code(known, northwind.slug, email)
    ask_code(unknown, northwind.slug, "nobody@example.com")
    for _ in range(3):
        type_code(known, northwind.slug, wrong(codes[0].code))
        type_code(unknown, northwind.slug, wrong(codes[0].code))
    later = timezone.now() + dt.timedelta(minutes=2)
    with time_machine.travel(later):
        ask_code(known, northwind.slug, email)
        ask_code(unknown, northwind.slug, "nobody@example.com")
        a = type_code(known, northwind.slug, "123456")
        b = type_code(unknown, northwind.slug, "123456")
    assert len(codes) == 1  # nothing more went to the locked customer
    assert (a.status_code, page_text(a)) == (b.status_code, page_text(b))
    assert "paused" in page_text(a)
