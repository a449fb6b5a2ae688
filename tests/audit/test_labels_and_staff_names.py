"""The timeline and history speak in labels, and name staff one way everywhere (issue 14):
"Pending approval → Approved", never "pending_approval → approved"; "Confirm changes by:
E-mail, SMS", never "SMS app"; a staff member by their full name (their username when
they have none) on the ticket timeline, the audit view, the history page, the profile's
access log and the approvals — one helper, profiledesk/accounts/naming.py."""

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from profiledesk.accounts.models import User
from profiledesk.accounts.naming import staff_name, staff_name_of
from profiledesk.apply.services import ticket_apply
from profiledesk.customers import models as m
from profiledesk.tickets.models import State, TicketEvent
from tests.apply.helpers import approve, ready
from tests.approvals.helpers import WEDNESDAY
from tests.conftest import signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@pytest.fixture
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def applied_with_approval(customer, personas):
    """A tier-1 ticket submitted, approved and applied, assigned to the agent working it."""
    # A two-factor reset needs a tier-1 approval (docs/design.md §5).
    ticket = ready(customer, personas["agent"], "security", {"two_factor_reset": True})
    ticket.assignee = personas["agent"]
    ticket.save(update_fields=["assignee"])
    approve(ticket, personas)
    assert ticket.state == State.APPROVED
    ticket_apply(ticket=ticket, by=personas["agent"])
    return ticket


def _timeline(html: str) -> str:
    return html.split('data-testid="timeline"')[1].split("</ol>")[0]


def test_the_ticket_timeline_shows_state_labels_and_full_names(applied_with_approval, personas):
    page = signed_in(personas["supervisor"]).get(
        reverse("tickets:detail", args=[applied_with_approval.reference])
    )
    timeline = _timeline(page.content.decode())
    assert "Pending approval → Approved" in timeline
    assert "Approved → Applied" in timeline
    assert "pending_approval" not in timeline and "approved →" not in timeline
    assert f"<strong>{personas['supervisor'].get_full_name()}</strong>" in timeline
    assert "<strong>supervisor</strong>" not in timeline


def test_the_audit_view_of_the_ticket_names_the_same_way(applied_with_approval, personas):
    page = signed_in(personas["compliance"]).get(
        reverse("audit:ticket_audit", args=[applied_with_approval.reference])
    )
    text = page.content.decode()
    assert "Pending approval → Approved" in text and "pending_approval" not in text
    events = text.split('data-testid="audit-events"')[1].split("</ul>")[0]
    assert personas["supervisor"].get_full_name() in events  # approval.granted
    assert "· supervisor<" not in events


def test_the_history_page_names_staff_by_full_name(applied_with_approval, customer, personas):
    page = signed_in(personas["compliance"]).get(
        reverse("audit:customer_history", args=[customer.pk])
    )
    text = page.content.decode()
    agent = personas["agent"]
    assert f">{agent.get_full_name()}</a>" in text
    assert ">agent</a>" not in text


def test_a_staff_member_without_a_full_name_is_named_by_username(personas):
    nameless = User(username="night-shift", first_name="", last_name=" ")
    assert staff_name(nameless) == "night-shift" == str(nameless)
    rendered = Template("{% load staff_tags %}{{ u|staff_name }}|{{ none|staff_name }}").render(
        Context({"u": nameless, "none": None})
    )
    assert rendered == "night-shift|system"


@settings(deadline=None)  # a busy shared machine
@given(
    username=st.text(min_size=1, max_size=20).filter(str.strip),
    first=st.text(max_size=20),
    last=st.text(max_size=20),
)
def test_every_view_of_a_name_agrees(username, first, last):
    """The model's str, the helper and the history's row-based form give one name."""
    user = User(username=username, first_name=first, last_name=last)
    from_parts = staff_name_of(username=username, first_name=first, last_name=last)
    assert str(user) == staff_name(user) == from_parts
    assert from_parts == (f"{first.strip()} {last.strip()}".strip() or username)


def test_the_profile_lists_confirmation_channels_as_labels(customer, personas):
    preferences = customer.preferences
    preferences.confirm_by_email = True
    preferences.confirm_by_sms = True
    preferences.confirm_in_app = False
    preferences.save()
    page = signed_in(personas["supervisor"]).get(reverse("customers:profile", args=[customer.pk]))
    line = page.content.decode().split('data-testid="confirm-by">')[1].split("</li>")[0]
    assert line == "Confirm changes by: E-mail, SMS"


def test_an_unknown_state_code_is_shown_as_stored_not_dropped():
    event = TicketEvent(kind=TicketEvent.Kind.TRANSITION, from_state="ready", to_state="limbo")
    assert (event.from_state_label, event.to_state_label) == ("Ready", "limbo")
    assert m.SecuritySettings.Method("app").label == "Authenticator app"
