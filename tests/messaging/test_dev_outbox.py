"""GET /dev/outbox/: in the demo (DEBUG on), desk admins read what the customers would
have received from the local sinks; otherwise the page does not exist."""

import datetime as dt
import re
from html import unescape
from urllib.parse import unquote

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from profiledesk.messaging.sinks import PAGE_SIZE
from profiledesk.messaging.sms import FileSink
from profiledesk.messaging.tasks import send_message
from tests.conftest import signed_in

from .helpers import CODE, queue_otp

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_sinks(settings, tmp_path):
    """The demo's settings: DEBUG, e-mail to files, SMS to files."""
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    settings.SMS_GATEWAY = "profiledesk.messaging.sms.FileSink"
    settings.SMS_SINK_DIR = tmp_path / "sms"
    return tmp_path


def test_desk_admins_read_the_demo_customers_messages_newest_first(northwind, personas, demo_sinks):
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(minutes=3), tick=False):
        email = queue_otp(northwind, key="e", to="grace@example.com")
        send_message.apply(args=[email.pk])
    with time_machine.travel(now - dt.timedelta(minutes=1), tick=False):
        sms = queue_otp(northwind, key="s", channel="sms", to="+447700900123", language="es")
        send_message.apply(args=[sms.pk])

    response = signed_in(personas["desk_admin"]).get(reverse("messaging:dev_outbox"))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count(CODE) == 2  # that is how the demo's OTPs are read
    assert page.index("+447700900123") < page.index("grace@example.com")
    assert "Your Northwind Energy verification code" in page
    assert "Tu código de verificación de Northwind Energy" in page


def test_the_page_says_so_when_nothing_was_sent(personas, demo_sinks):
    response = signed_in(personas["desk_admin"]).get(reverse("messaging:dev_outbox"))

    assert response.status_code == 200
    assert "Nothing has been sent yet." in response.content.decode()


def test_the_page_reads_files_not_the_database(personas, demo_sinks, django_assert_num_queries):
    http = signed_in(personas["desk_admin"])
    # Expect 4 queries: the session, the staff member, their TOTP device (second factor),
    # their permissions and groups (one query); none for the messages (read from files).
    with django_assert_num_queries(4):
        http.get(reverse("messaging:dev_outbox"))


@pytest.mark.parametrize("role", ["agent", "supervisor", "compliance", "security"])
def test_other_staff_get_404_even_in_the_demo(personas, demo_sinks, role):
    response = signed_in(personas[role]).get(reverse("messaging:dev_outbox"))
    assert response.status_code == 404


def test_without_debug_the_page_does_not_exist_even_for_desk_admins(personas, settings):
    settings.DEBUG = False
    response = signed_in(personas["desk_admin"]).get(reverse("messaging:dev_outbox"))
    assert response.status_code == 404


HOSTILE_UTF8 = "Hola José: l•••@example.org, +34 ••• ••• 123 — ✓ 😀 Ω"


def test_text_that_is_utf8_on_disk_reads_as_written(personas, demo_sinks):
    """Django's file backend writes 8-bit UTF-8; read back as `str` the e-mail package
    showed "\\u2022" and "�" in its place."""
    mail.send_mail(f"Código {HOSTILE_UTF8}", HOSTILE_UTF8, "desk@example.org", ["j@example.org"])
    FileSink().send(to="+447700900123", text=HOSTILE_UTF8, reference="r1")

    page = signed_in(personas["desk_admin"]).get(reverse("messaging:dev_outbox")).content.decode()

    assert page.count(HOSTILE_UTF8) == 3  # the SMS, the e-mail's body and its subject
    assert "\\u2022" not in page and "\ufffd" not in page


def test_a_desk_admin_pages_through_every_message_once_newest_first(personas, demo_sinks):
    sink, earlier = FileSink(), timezone.now() - dt.timedelta(hours=1)
    with time_machine.travel(earlier, tick=True):
        for n in range(PAGE_SIZE * 2 + 7):
            sink.send(to=f"+4477009{n:05d}", text=f"message {n}", reference=f"r{n}")
    for n in range(3):  # e-mails' Date has whole seconds: a second apart
        with time_machine.travel(earlier + dt.timedelta(seconds=10 + n), tick=False):
            mail.send_mail(f"mail {n}", "body", "desk@example.org", [f"m{n}@example.org"])
    http = signed_in(personas["desk_admin"])

    shown, pages, after = [], 0, None
    while True:
        response = http.get(reverse("messaging:dev_outbox"), {"after": after} if after else {})
        assert response.status_code == 200
        page = response.content.decode()
        shown += re.findall(r"(?:message|mail) \d+", page)
        pages += 1
        found = re.search(r'href="\?after=([^"]+)" rel="next"', page)
        if not found:
            break
        after = unescape(unquote(found.group(1)))
    assert pages == 3
    assert len(shown) == len(set(shown)) == PAGE_SIZE * 2 + 10
    assert shown[0] == "mail 2"  # newest first


def test_a_forged_cursor_starts_from_the_newest(personas, demo_sinks):
    FileSink().send(to="+447700900123", text="the only one", reference="r")
    response = signed_in(personas["desk_admin"]).get(
        reverse("messaging:dev_outbox"), {"after": "not-a-date|../../etc/passwd"}
    )
    assert response.status_code == 200 and "the only one" in response.content.decode()
