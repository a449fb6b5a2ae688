"""seed_demo's stories (profiledesk/demo/stories.py): a few Northwind customers whose
changes went through the desk's real services, so the history and rollback pages of the
demo show ticket-linked changes with their evidence, and a real rollback."""

import pytest

from audit.history import HistoryFilters, customer_history
from profiledesk.accounts.models import User
from profiledesk.customers.models import Customer
from profiledesk.messaging.models import Message
from profiledesk.tickets.models import State, Ticket
from tests.conftest import signed_in
from verification.models import Method, Purpose, Result

pytestmark = pytest.mark.django_db


@pytest.fixture
def stories(seed, logins_file):
    """20 customers (10 of Northwind) and 60 tickets; {story: customer} from the logins file."""
    seed(customers=20, tickets=60)
    section = logins_file.read_text().split("Northwind customers with real tickets")[1]
    numbers = [line.split()[0] for line in section.strip().splitlines()[1:]]
    customers = {c.number: c for c in Customer.objects.filter(number__in=numbers)}
    stories = ("email", "card", "address", "phone")
    return dict(zip(stories, (customers[n] for n in numbers), strict=True))


def _groups(customer):
    compliance = User.objects.get(username="northwind.compliance")
    page = customer_history(customer=customer, viewer=compliance, filters=HistoryFilters())
    return [group for group in page.groups if group.ticket is not None]


def test_an_email_change_is_a_ticket_group_with_its_codes_and_confirmation(stories):
    [group] = _groups(stories["email"])
    # Closed once the confirmation is sent: on commit, which a test's transaction never
    # reaches (seed_demo itself runs them; see stories.py).
    assert group.ticket.state in (State.APPLIED, State.CLOSED)
    assert "e-mail address" in {v.model_label for v in group.versions}
    passes = {(a.method, a.purpose) for a in group.attempts if a.result == Result.PASSED}
    # Identity (a code to the address on file and the security answers) and the new
    # address proven by its own code.
    assert (Method.OTP, Purpose.IDENTITY) in passes
    assert (Method.QUESTIONS, Purpose.IDENTITY) in passes
    assert (Method.OTP, Purpose.NEW_CONTACT) in passes
    assert group.confirmations
    # Codes went out as real messages, kept sealed: the clear text is never stored.
    codes = Message.objects.filter(ticket_id=group.ticket.pk, template="otp")
    assert codes.count() == 2 and all(m.body_text == "" for m in codes)


def test_a_replaced_card_was_approved_by_the_supervisor_and_can_be_rolled_back(stories):
    [group] = _groups(stories["card"])
    [approval] = group.approvals
    # The history page reads its groups as values: the approver as the desk names staff.
    assert approval.approver == str(User.objects.get(username="northwind.supervisor"))
    assert group.ticket.state in (State.APPLIED, State.CLOSED)
    assert not group.ticket.rollbacks
    compliance = User.objects.get(username="northwind.compliance")
    page = signed_in(compliance).get(f"/audit/customers/{stories['card'].pk}/history/")
    assert page.status_code == 200
    assert group.ticket.reference in page.content.decode()


def test_an_address_change_was_rolled_back_for_real(stories):
    customer = stories["address"]
    original = Ticket.objects.get(customer=customer, rollback_of=None, summary__contains="Flat")
    assert original.state == State.ROLLED_BACK
    rollback = original.rollbacks.get()
    assert rollback.state in (State.APPLIED, State.CLOSED)
    assert rollback.verification_waiver.by.username == "northwind.compliance"
    groups = {g.ticket.reference: g for g in _groups(customer)}
    assert {original.reference, rollback.reference} <= set(groups)
    # The address is back to what it was before the change.
    home = customer.addresses.order_by("pk").first()
    [before] = home.history.filter(history_date__lt=original.created_at).order_by("-history_date")[
        :1
    ]
    assert home.line2 == before.line2


def test_no_ticket_is_rolled_back_without_its_rollback_ticket(stories):
    rolled_back = Ticket.objects.filter(state=State.ROLLED_BACK)
    assert rolled_back.exists()
    assert all(t.rollbacks.filter(state__in=[State.APPLIED, State.CLOSED]) for t in rolled_back)


def test_stories_are_not_repeated_and_the_tickets_count_in_the_total(seed, stories):
    seed(customers=20, tickets=60)
    assert Ticket.objects.count() == 60
    assert Ticket.objects.filter(summary__endswith="(demo story)").count() == 4


def test_too_few_customers_make_no_stories(seed, logins_file):
    seed(customers=4, tickets=10)
    assert not Ticket.objects.filter(summary__endswith="(demo story)").exists()
    assert "real tickets" not in logins_file.read_text()
