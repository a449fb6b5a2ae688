"""Demo tickets at scale (profiledesk/demo/tickets.py): every state, items, timeline, risk,
an SLA spread, and history for every ticket and change item."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from profiledesk.demo.tickets import SEED_REASON, copy_with_history, seed_tickets
from profiledesk.intake.fields import resolve_field
from profiledesk.tickets.models import OPEN_STATES, ChangeItem, State, Ticket, TicketEvent
from tests.factories import CustomerFactory


@pytest.fixture
def customers(northwind, personas):
    return [CustomerFactory(client=northwind) for _ in range(5)]


def test_a_seed_has_every_state_with_items_timeline_and_references(customers):
    result = seed_tickets(count=300)

    assert result.tickets == Ticket.objects.count() == 300
    # Every state but rolled_back, which only a real rollback ticket gives (demo/stories.py).
    seeded = set(Ticket.objects.values_list("state", flat=True))
    assert seeded == set(State.values) - {State.ROLLED_BACK}
    assert all(t.reference == f"PD-{t.pk:06d}" for t in Ticket.objects.all())
    assert not Ticket.objects.filter(items__isnull=True).exists()
    created = TicketEvent.objects.filter(kind=TicketEvent.Kind.CREATED)
    assert created.count() == 300
    closed = Ticket.objects.filter(state=State.CLOSED).first()
    path = list(closed.events.filter(kind="transition").values_list("to_state", flat=True))
    assert path[-2:] == [State.APPLIED, State.CLOSED]
    assert result.items == ChangeItem.objects.count()
    assert result.events == TicketEvent.objects.count()


def test_seeded_change_items_use_the_fields_intake_knows(customers):
    seed_tickets(count=100)
    for section, field, label in ChangeItem.objects.values_list("section", "field", "label"):
        assert resolve_field(section, field).label == label


def test_seeded_tickets_belong_to_existing_customers_and_floor_staff(customers, personas):
    seed_tickets(count=200)
    customer_ids = {c.pk for c in customers}
    floor = {personas["agent"].pk, personas["supervisor"].pk}
    matched = Ticket.objects.exclude(customer=None)
    assert set(matched.values_list("customer_id", flat=True)) <= customer_ids
    assignees = set(Ticket.objects.exclude(assignee=None).values_list("assignee_id", flat=True))
    assert assignees <= floor
    assert Ticket.objects.filter(assignee=None, state=State.NEW).exists()  # to be claimed


def test_the_open_backlog_has_breached_due_soon_and_later_tickets(customers):
    seed_tickets(count=400)
    now = timezone.now()
    backlog = Ticket.objects.filter(state__in=OPEN_STATES)
    assert backlog.filter(sla_due_at__lt=now).exists()
    assert backlog.filter(sla_due_at__gt=now, sla_due_at__lte=now + dt.timedelta(hours=1)).exists()
    assert backlog.filter(sla_due_at__gt=now + dt.timedelta(hours=1)).exists()
    levels = set(Ticket.objects.values_list("risk_level", flat=True))
    assert levels == {"low", "medium", "high", "critical"}
    risky = Ticket.objects.exclude(risk_level="low").first()
    assert risky.risk_reasons and all("reason" in reason for reason in risky.risk_reasons)


def test_every_seeded_ticket_and_item_has_its_history_row(customers, personas):
    seed_tickets(count=120)
    for model in (Ticket, ChangeItem):
        history = model.history.model.objects
        assert history.count() == model.objects.count()
        assert set(history.values_list("history_type", flat=True)) == {"+"}
        assert set(history.values_list("history_change_reason", flat=True)) == {SEED_REASON}
    ticket = Ticket.objects.exclude(assignee=None).first()
    record = ticket.history.get()
    assert (record.state, record.assignee_id, record.reference) == (
        ticket.state,
        ticket.assignee_id,
        ticket.reference,
    )
    assert record.history_user == ticket.assignee


def test_a_second_run_adds_tickets_instead_of_repeating_the_first(customers):
    seed_tickets(count=50)
    seed_tickets(count=50)
    assert Ticket.objects.count() == 50 + 50
    assert Ticket.objects.values("reference").distinct().count() == 100


def test_seeding_without_customers_says_what_to_do_first(personas):
    with pytest.raises(ValueError, match="seed_demo"):
        seed_tickets(count=10)


def test_the_command_reports_what_it_made(customers, settings):
    settings.DEMO_MODE = True
    out = StringIO()
    call_command("seed_tickets", count=30, stdout=out)
    assert "Seeded 30 tickets" in out.getvalue()
    assert Ticket.objects.count() == 30


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_copy_with_history_writes_what_bulk_create_with_history_writes(northwind, personas):
    now = timezone.now()

    def ticket(pk):
        obj = Ticket(
            id=pk,
            reference=f"PD-{pk:06d}",
            client=northwind,
            channel="email",
            category="billing",
            state=State.READY,
            risk_level="high",
            risk_score=50,
            risk_reasons=[{"rule": "r", "points": 50, "reason": "why"}],
            assignee=personas["agent"],
            sla_due_at=now,
            created_at=now,
            updated_at=now,
        )
        obj._history_date, obj._history_user, obj._change_reason = now, personas["agent"], "x"
        return obj

    bulk_create_with_history([ticket(9_000_001)], Ticket)
    copy_with_history(Ticket, [ticket(9_000_002)])

    def fields(pk):
        row = Ticket.history.model.objects.filter(id=pk).values().get()
        return {k: v for k, v in row.items() if k not in ("id", "reference", "history_id")}

    assert fields(9_000_002) == fields(9_000_001)
    live = Ticket.objects.filter(pk__in=[9_000_001, 9_000_002]).values("risk_reasons", "state")
    assert live[0] == live[1]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel seeding is for PostgreSQL")
def test_worker_processes_seed_the_same_number_of_whole_tickets(customers):
    result = seed_tickets(count=200, chunk=50, workers=2)
    assert result.tickets == Ticket.objects.count() == 200
    assert Ticket.history.model.objects.count() == 200
    assert not Ticket.objects.filter(items__isnull=True).exists()
    assert TicketEvent.objects.count() == result.events
