"""The ticket page keeps the verification status's reads for one request (issue 20:
`profiledesk.tickets.memo.page_memo`, asked for by tickets.views.detail only). What must
stay true: the next request sees what anyone recorded since, the memo is opt-in, and the
state machine's guard under the row lock never reads it."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from profiledesk.tickets.memo import page_memo
from profiledesk.tickets.models import State, Ticket
from profiledesk.tickets.states import TransitionError
from tests.conftest import signed_in
from tests.factories import claimed
from verification.models import Lock, Method
from verification.services import verification_complete
from verification.status import achieved_level, progress, verification_missing

from .helpers import email_key, open_ticket
from .test_method_registry import record_pass
from .test_status import pass_otp

pytestmark = pytest.mark.django_db


def _level_badge(http, ticket) -> str:
    html = http.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    return html.split('data-testid="verification-level">')[1].split("</span>")[0].strip()


def test_a_pass_recorded_between_two_requests_shows_on_the_next(ticket, agent):
    claimed(ticket, agent)
    http = signed_in(agent)
    assert _level_badge(http, ticket) == "AL0 of AL2"
    # Recorded by no agent (an app's assertion, a provider's webhook) between two requests.
    record_pass(ticket, Method.QUESTIONS)
    assert _level_badge(http, ticket) == "AL1 of AL2"
    record_pass(ticket, Method.OTP)
    assert _level_badge(http, ticket) == "AL2 of AL2"


def test_a_lock_out_recorded_between_two_requests_shows_on_the_next(ticket, customer, agent):
    claimed(ticket, agent)
    http = signed_in(agent)
    record_pass(ticket, Method.QUESTIONS)
    assert _level_badge(http, ticket) == "AL1 of AL2"
    now = timezone.now()
    Lock.objects.create(
        customer=customer, created_at=now, locked_until=now + dt.timedelta(hours=1), reason="x"
    )
    assert _level_badge(http, ticket) == "AL0 of AL2"


def test_without_the_memo_each_ask_reads_afresh(ticket):
    assert "AL2" in verification_missing(ticket)
    record_pass(ticket, Method.QUESTIONS)
    record_pass(ticket, Method.OTP)
    assert verification_missing(ticket) is None
    assert progress(ticket).achieved == 2


def test_the_memo_lives_on_the_pages_instance_only(ticket):
    page = Ticket.objects.get(pk=ticket.pk)
    page_memo(page)
    assert progress(page).achieved == 0
    record_pass(ticket, Method.QUESTIONS)
    # The page's instance answers as it did for the rest of its request...
    assert progress(page).achieved == 0
    # ...any other instance (the next request's, a service's) reads what is there now.
    assert progress(Ticket.objects.get(pk=ticket.pk)).achieved == 1
    assert progress(ticket).achieved == 1


def test_the_guard_under_the_row_lock_reads_afresh(ticket, customer, agent):
    """The page's instance said "verified"; the customer was locked out since: "Mark
    verified" with that very instance is refused (services read their own locked row)."""
    claimed(ticket, agent)
    record_pass(ticket, Method.QUESTIONS)
    record_pass(ticket, Method.OTP)
    page = Ticket.objects.get(pk=ticket.pk)
    page_memo(page)
    assert verification_missing(page) is None and progress(page).complete
    now = timezone.now()
    Lock.objects.create(
        customer=customer, created_at=now, locked_until=now + dt.timedelta(hours=1), reason="x"
    )
    with pytest.raises(TransitionError, match="locked"):
        verification_complete(ticket=page, by=agent)
    assert Ticket.objects.get(pk=ticket.pk).state == State.VERIFYING


def test_the_memo_answers_each_moment_as_a_read_would(ticket, customer):
    """The locks and passes are read once and each `now` applied to them: a later moment
    (a lock ended, a pass expired) and an earlier one (read afresh) answer as queries do."""
    now = timezone.now()
    record_pass(ticket, Method.QUESTIONS, at=now - dt.timedelta(minutes=20))
    Lock.objects.create(
        customer=customer,
        created_at=now - dt.timedelta(hours=1),
        locked_until=now + dt.timedelta(minutes=5),
        reason="x",
    )
    page = Ticket.objects.get(pk=ticket.pk)
    page_memo(page)
    for moment in (
        now,
        now + dt.timedelta(minutes=6),
        now + dt.timedelta(minutes=11),
        now - dt.timedelta(minutes=10),
        now - dt.timedelta(minutes=25),
        now - dt.timedelta(hours=2),
    ):
        fresh = Ticket.objects.get(pk=ticket.pk)
        assert achieved_level(page, moment) == achieved_level(fresh, moment), moment
        assert verification_missing(page, moment) == verification_missing(fresh, moment), moment


def test_the_code_step_shows_the_same_destinations_and_pending_code(
    ticket, customer, agent, sent, clock
):
    """Read once (the codes) and from the memo (the withheld contacts): the open code to
    the e-mail is listed once, the newest replacing an older one to the same address."""
    claimed(ticket, agent)
    http = signed_in(agent)
    from verification.services import otp_send

    older = otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
    clock.shift(dt.timedelta(seconds=61))
    newest = otp_send(ticket=ticket, staff=agent, contact_key=email_key(customer))
    html = http.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert html.count(f'name="challenge" value="{newest.pk}"') == 1
    assert f'name="challenge" value="{older.pk}"' not in html


@pytest.fixture
def otp_passed(ticket, customer, agent, sent):
    claimed(ticket, agent)
    pass_otp(ticket, agent, sent, email_key(customer))
    return ticket


# Session, user, second factor, permissions and roles (one query:
# accounts/permissions.py), the ticket, its items, its timeline, the lock-out, the
# client's policies (the ticket's own and the longest cooling-off: one read), the
# ticket's attempts (the passes and the evidence list), the contacts' history (e-mails
# and phones in one read; the customer's first version too, their contacts being
# minutes old here), the proofs of the new e-mail, the codes, the security questions,
# the identity provider's account and session: each once however many rules ask. (No
# document among the attempts: the documents are not read.)
QUERIES_VERIFYING_PAGE = 16


def test_the_verifying_page_query_budget(otp_passed, agent, django_assert_num_queries):
    http = signed_in(agent)
    url = reverse("tickets:detail", args=[otp_passed.reference])
    http.get(url)
    with django_assert_num_queries(QUERIES_VERIFYING_PAGE):
        assert http.get(url).status_code == 200


@pytest.fixture
def ready(otp_passed, customer, agent, clock):
    from .test_status import pass_questions

    clock.shift(dt.timedelta(minutes=2))
    pass_questions(otp_passed, customer, agent)
    verification_complete(ticket=otp_passed, by=agent)
    return otp_passed


QUERIES_READY_PAGE = 14


def test_the_ready_page_query_budget(ready, agent, django_assert_num_queries):
    http = signed_in(agent)
    url = reverse("tickets:detail", args=[ready.reference])
    http.get(url)
    with django_assert_num_queries(QUERIES_READY_PAGE):
        assert http.get(url).status_code == 200


def test_a_new_ticket_the_wizard_is_not_drawn_for(customer, agent):
    """A ticket not being verified does not read the wizard's codes or destinations."""
    ticket = claimed(open_ticket(customer, agent, verifying=False), agent)
    html = signed_in(agent).get(reverse("tickets:detail", args=[ticket.reference])).content
    assert b'name="challenge"' not in html


def test_a_document_checked_between_two_requests_is_listed_on_the_next(ticket, agent):
    """The documents are read only when the ticket's attempts hold a document check (the
    check and its attempt are written in one transaction): a page without one does not
    read them, the next page after an upload lists it."""
    from tests.verification.test_documents import image, record

    claimed(ticket, agent)
    http = signed_in(agent)
    url = reverse("tickets:detail", args=[ticket.reference])
    with CaptureQueriesContext(connection) as queries:
        assert "Passport" not in http.get(url).content.decode()
    assert not [q for q in queries if "verification_documentcheck" in q["sql"]]
    check = record(ticket, agent, image())
    html = http.get(url).content.decode()
    assert reverse("verification:document", args=[ticket.reference, check.pk]) in html


def test_the_destinations_are_read_once_and_afresh_on_the_next_request(ticket, customer, agent):
    """The code step lists the verified e-mails and phones from one read; a phone verified
    since shows on the next request, and a service's own instance reads afresh."""
    from profiledesk.customers.models import PhoneNumber
    from verification.services import identity_destinations

    claimed(ticket, agent)
    http = signed_in(agent)
    url = reverse("tickets:detail", args=[ticket.reference])
    with CaptureQueriesContext(connection) as queries:
        before = http.get(url).content.decode()
    contact_reads = [
        q
        for q in queries
        if 'FROM "customers_emailaddress"' in q["sql"] or 'FROM "customers_phonenumber"' in q["sql"]
    ]
    assert len(contact_reads) == 1
    page = Ticket.objects.get(pk=ticket.pk)
    page_memo(page)
    listed = identity_destinations(page)
    phone = PhoneNumber.objects.create(
        customer=customer, number="+447700900999", verified_at=timezone.now()
    )
    key = f"phone:{phone.pk}"
    assert key not in before and key not in {c.key for c in listed}
    assert identity_destinations(page) == listed  # the page's instance, for its request
    assert key in {c.key for c in identity_destinations(Ticket.objects.get(pk=ticket.pk))}
    assert f'value="{key}"' in http.get(url).content.decode()
