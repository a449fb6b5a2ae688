"""The history page's groups are rendered by Jinja2 with their versions
(audit/history_rows.py `groups_html`, templates/audit/_versions.html): each ticket's
header — category, channel, state, who opened it, who applied it and when, its
verification evidence (attempts, a waiver), approvals, confirmations and rollback links —
must print what the Django template printed before (kept below as the reference), for
applied, rolled-back, rollback and automatic tickets and changes without one; and what a
customer, a client's system or a staff member typed stays text."""

import datetime as dt
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import time_machine
from django.db.models import Prefetch
from django.template import engines
from django.urls import reverse
from django.utils import timezone

from audit import history, history_rows
from profiledesk.approvals.models import Approval, ApprovalRound
from profiledesk.confirmations.models import Confirmation
from profiledesk.messaging.models import Message
from profiledesk.rollback.services import rollback_open
from profiledesk.tickets.models import State, Ticket
from tests.approvals.helpers import WEDNESDAY
from tests.audit.history_helpers import applied, write
from tests.conftest import signed_in
from tests.dashboards.figure_rows import connector, delivery
from tests.factories import TicketFactory, UserFactory, claimed
from tests.rollback.helpers import applied as applied_ticket
from tests.rollback.helpers import through_the_floor
from verification.models import Attempt

HOSTILE = "\"><img src=x onerror=alert(1)>&'"

# The group markup of templates/audit/customer_history.html before it moved to Jinja2
# (its `versions_html` left out: the versions are compared elsewhere).
DJANGO_WAY = engines["django"].from_string(
    (Path(__file__).parent / "history_groups_django.html").read_text()
)


def canonical(markup: str) -> str:
    """Markup as the browser reads it: whitespace between tags and the spelling of a
    quote do not show (Jinja2 escapes ' and " as &#39; and &#34;, Django as &#x27; and
    &quot;, and prints a translated literal's ' as it is; every attribute is in ")."""
    markup = re.sub(r"\s+", " ", markup.strip())
    markup = re.sub(r">\s+<", "><", markup)
    markup = re.sub(r"&(#39|#x27);", "'", markup)
    return re.sub(r"&(#34|quot);", "&quot;", markup)


def headers(markup: str) -> list[str]:
    """Each group's markup up to its versions (those are compared in
    test_history_versions_markup.py)."""
    sections = re.findall(r'<section class="card mb-3".*?<ol class="list-group', markup, re.S)
    return [canonical(section) for section in sections]


def both(page, user) -> tuple[list[str], list[str]]:
    fast = history_rows.groups_html(
        page.groups,
        time_zone=page.time_zone,
        user=user,
        can_reveal=False,
        may_restore=False,
        csrf_token="t",
    )
    django_way = DJANGO_WAY.render(
        {"groups": django_groups(page.groups), "user": user, "tz": page.time_zone}
    )
    return headers(str(fast)), headers(django_way)


def django_groups(groups) -> list[SimpleNamespace]:
    """The groups as the Django template read them: model instances, fetched the way the
    selector did before it read values (so the data path is compared too)."""
    tickets = {
        t.reference: t
        for t in Ticket.objects.filter(reference__in={g.reference for g in groups})
        .select_related("created_by", "rollback_of", "verification_waiver__by")
        .prefetch_related(Prefetch("rollbacks", queryset=Ticket.objects.order_by("id")))
    }
    shown = []
    for group in groups:
        ticket = tickets.get(group.reference)
        shown.append(
            SimpleNamespace(
                reference=group.reference,
                reason=group.reason,
                staff_id=group.staff_id,
                staff_name=group.staff_name,
                at=group.at,
                ticket=ticket,
                attempts=list(
                    Attempt.objects.filter(ticket=ticket)
                    .select_related("staff")
                    # Attempts at the same moment in the order they were made (the
                    # selector's order_by("at") left that to the database).
                    .order_by("at", "pk")
                )
                if ticket
                else [],
                approvals=list(
                    Approval.objects.filter(ticket=ticket)
                    .select_related("approver")
                    .order_by("decided_at", "pk")
                )
                if ticket
                else [],
                confirmations=list(
                    Confirmation.objects.filter(ticket=ticket)
                    .select_related("message", "delivery")
                    .order_by("pk")
                )
                if ticket
                else [],
            )
        )
    return shown


def page_of(customer, viewer):
    return history.customer_history(
        customer=customer, viewer=viewer, filters=history.HistoryFilters(), limit=100
    )


@pytest.fixture
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def evidence(customer, personas, clock):
    """A customer whose history holds every kind of group: an applied ticket rolled back
    by a rollback ticket (waiver, approvals), a ticket with attempts (one by nobody, one
    for a new contact), approvals (one voided) and confirmations (a message and an in-app
    one), an automatic apply with no staff member, and changes without a ticket."""
    original = applied_ticket(customer, personas, "personal", {"national_id": "AB123456C"})
    clock.shift(dt.timedelta(minutes=5))
    rollback = rollback_open(by=personas["compliance"], ticket=original, reason="Wrong one")
    through_the_floor(claimed(rollback, personas["agent"]), personas)
    clock.shift(dt.timedelta(minutes=5))

    agent = personas["agent"]
    busy = TicketFactory(customer=customer, created_by=agent, category="contact")
    busy.state = State.CLOSED
    busy.save()
    now = timezone.now()
    Attempt.objects.create(
        ticket=busy, customer=customer, method="otp", result="passed", staff=agent, at=now
    )
    Attempt.objects.create(
        ticket=busy,
        customer=customer,
        method="otp",
        purpose="new_contact",
        result="failed",
        staff=None,
        at=now,
    )
    round_ = ApprovalRound.objects.create(
        ticket=busy,
        client=busy.client,
        tiers_needed=2,
        per_tier=1,
        current_tier=0,
        diff_hash="h",
        status="approved",
        submitted_at=now,
    )
    hostile_approver = UserFactory(first_name=HOSTILE)
    for tier, (who, decision, reason, voided) in enumerate(
        [
            (personas["supervisor"], "rejected", HOSTILE, now),
            (personas["supervisor"], "approved", "", None),
            (hostile_approver, "approved", "fine", None),
        ],
        start=1,
    ):
        Approval.objects.create(
            ticket=busy,
            round=round_,
            tier=min(tier, 2),
            approver=who,
            decision=decision,
            reason=reason,
            diff_hash="h",
            decided_at=now,
            voided_at=voided,
        )
    message = Message.objects.create(
        client=busy.client,
        ticket=busy,
        channel="email",
        recipient="grace@example.com",
        template="confirmation",
        language="en",
        text_redacted="Your change",
        idempotency_key="msg-groups-1",
        status="sent",
        due_at=now,
        created_at=now,
        sent_at=now,
    )
    Confirmation.objects.create(
        ticket=busy,
        message=message,
        recipient_masked=f"g•••{HOSTILE}",
        reason="preferred",
        created_at=now,
    )
    in_app = delivery(busy, connector(busy.client), created=now, status="delivered", delivered=now)
    Confirmation.objects.create(
        ticket=busy, delivery=in_app, recipient_masked="app", reason="preferred", created_at=now
    )
    email = customer.emails.get()
    write(email, by=agent, reason=applied(busy), email="busy@example.org")
    clock.shift(dt.timedelta(minutes=5))

    machine = TicketFactory(customer=customer, created_by=None, category="contact")
    phone = customer.phones.get()
    write(
        phone,
        by=None,
        reason=f"automatic (API key crm{HOSTILE}, assertion a1): {machine.reference} applied",
        number="+447700900999",
    )
    clock.shift(dt.timedelta(minutes=5))
    write(customer.personal, by=None, reason=HOSTILE, preferred_name="Amazing")
    return {"original": original, "rollback": rollback, "busy": busy, "machine": machine}


@pytest.mark.parametrize("who", ["compliance", "supervisor", "agent"])
def test_group_headers_print_what_the_django_template_printed(evidence, customer, personas, who):
    page = page_of(customer, personas[who])
    fast, django_way = both(page, personas[who])
    assert len(fast) == len(django_way) == len(page.groups) >= 6
    for mine, theirs in zip(fast, django_way, strict=True):
        assert mine == theirs
    text = "".join(fast)
    # Every kind of group is among those compared.
    assert 'data-testid="history-waiver"' in text  # the rollback's waiver
    assert "Rolled back by" in text  # the original
    assert "Rollback of" in text  # the rollback ticket
    assert "voided" in text and "Tier 2" in text  # approvals
    assert "(new contact)" in text and "no agent: recorded by the desk" in text
    assert "the client's systems" in text  # the automatic ticket opened by no one
    assert "the desk itself (automatic, no staff member)" in text
    assert "Change without a ticket" in text


def test_a_rolled_back_ticket_offers_no_second_rollback(evidence, customer, personas):
    # The rollback links follow the same rules as the ticket page's (rollback_links).
    page = page_of(customer, personas["compliance"])
    fast, _ = both(page, personas["compliance"])
    original = next(h for h in fast if f'data-reference="{evidence["original"].reference}"' in h)
    assert "Rolled back by" in original and 'data-testid="rollback-ticket"' not in original


def test_what_people_and_systems_typed_stays_text_in_the_headers(evidence, customer, personas):
    response = signed_in(personas["compliance"]).get(
        reverse("audit:customer_history", args=[customer.pk])
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<img" not in page and "onerror=alert(1)>" not in page
    groups = "".join(re.findall(r'<section class="card mb-3".*?<ol class="list-group', page, re.S))
    escaped = "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;&amp;&#39;"
    # The approval's reason and approver's name, the confirmation's recipient and a
    # change reason without a ticket (its heading).
    assert groups.count(escaped) == 4
