"""After a full verification run through the desk's views, no OTP code, security answer
or card number is anywhere: any table (history tables included), the log output, or the
arguments of the Celery tasks that were queued."""

import logging
import re

import pytest
from django.db import connection
from django.urls import reverse

from profiledesk.messaging.tasks import send_message
from tests.conftest import signed_in
from verification.answers import hash_answer

from .helpers import email_key

pytestmark = pytest.mark.django_db

CARD = "4111 1111 1111 1111"
# Answers no fake name or address in the fixtures can contain.
ANSWER = "Quetzalcoatl Academy"
WRONG_ANSWER = "Xylophone Tower"


def all_rows_as_text() -> str:
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from the catalogue
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_a_full_run_leaves_no_code_answer_or_card_number_behind(
    ticket, customer, agent, sent, caplog, monkeypatch, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    queued: list = []
    monkeypatch.setattr(send_message, "delay", lambda *a, **k: queued.append((a, k)))
    http = signed_in(agent)
    ref = ticket.reference
    question = customer.security_questions.get()
    question.answer_hash = hash_answer(ANSWER)
    question.save()

    with django_capture_on_commit_callbacks(execute=True):
        http.post(
            reverse("tickets:comment", args=[ref]),
            {"body": f"Caller read their card {CARD} out by mistake."},
        )
        http.post(reverse("verification:otp_send", args=[ref]), {"contact": email_key(customer)})
        challenge = ticket.otp_challenges.get()
        code = sent[0].code
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        http.post(
            reverse("verification:otp_check", args=[ref]),
            {"challenge": challenge.pk, "code": wrong},
        )
        http.post(
            reverse("verification:otp_check", args=[ref]),
            {"challenge": challenge.pk, "code": code},
        )
        http.post(
            reverse("verification:questions", args=[ref]),
            {f"answer_{question.pk}": WRONG_ANSWER},
        )
        http.post(
            reverse("verification:questions", args=[ref]),
            {f"answer_{question.pk}": ANSWER},
        )
        http.post(reverse("verification:complete", args=[ref]))

    ticket.refresh_from_db()
    assert ticket.state == "ready"  # the run went all the way
    dump, logged, tasks = all_rows_as_text().lower(), caplog.text.lower(), repr(queued)
    for secret in (code, wrong, "4111111111111111", CARD, "quetzal", "xylophone"):
        # Standing alone: six digits also occur inside hashes and ciphertexts by chance.
        pattern = re.compile(rf"(?<![0-9a-z]){re.escape(secret)}(?![0-9a-z])")
        if not secret.isdigit() or secret.startswith("4111"):
            pattern = re.compile(re.escape(secret))
        assert not pattern.search(dump), f"{secret!r} is stored somewhere"
        assert not pattern.search(logged), f"{secret!r} was logged"
        assert not pattern.search(tasks), f"{secret!r} went to a task"
    assert queued, "the code went out through messaging's task"
    assert all(isinstance(arg, int) for args, _ in queued for arg in args)
