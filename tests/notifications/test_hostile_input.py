"""Hostile input to the notification pages: any page cursor and any id are a 200, a 400
with a reason or a 404 — never a 500, never someone else's notification."""

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from profiledesk.notifications.models import Kind, Notification
from tests.conftest import signed_in
from tests.factories import TicketFactory


@pytest.fixture
def theirs(customer, personas):
    ticket = TicketFactory(customer=customer, created_by=personas["agent"])
    return Notification.objects.create(
        recipient=personas["supervisor"],
        kind=Kind.REJECTED,
        ticket=ticket,
        key="x",
        created_at=timezone.now(),
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(after=st.text(max_size=40) | st.integers().map(str))
def test_any_page_cursor_is_a_page_or_a_400_with_a_reason(personas, theirs, after):
    response = signed_in(personas["agent"]).get(reverse("notifications:list"), {"after": after})
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.content  # the reason (a NUL is refused before any view, too)
    else:
        assert theirs.ticket.reference.encode() not in response.content


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(offset=st.integers(min_value=-5, max_value=5))
def test_no_id_near_anothers_marks_theirs_read(personas, theirs, offset):
    target = max(theirs.pk + offset, 0)
    response = signed_in(personas["agent"]).post(reverse("notifications:read", args=[target]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
