"""The ticket page reads its client's policies once (`policy_memo`, issue 20): the ticket's
own policy and the longest cooling-off (`longest_cooling_off`, which decides which
contacts are "just changed") come from one read of every policy of the client. What must
stay true: the answers are the database's, an edit shows on the next request (a new
instance), and without the memo every ask reads afresh (services under the row lock)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from profiledesk.clients.models import Client
from profiledesk.policies.categories import Category
from profiledesk.policies.defaults import (
    longest_cooling_off,
    policies_ensure_defaults,
    policy_for,
    policy_memo,
)
from profiledesk.policies.models import Policy

pytestmark = pytest.mark.django_db

CATEGORIES = [str(c) for c in Category]


def _set_hours(client, category, hours):
    policy = Policy.objects.get(client=client, category=category)
    policy.cooling_off_hours = hours
    policy.save()  # tracked by history: never QuerySet.update()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(hours=st.lists(st.integers(min_value=0, max_value=10_000), min_size=9, max_size=9))
def test_the_pages_answers_are_the_databases(northwind, hours):
    policies_ensure_defaults(client=northwind)
    for category, value in zip(CATEGORIES, hours, strict=False):
        _set_hours(northwind, category, value)
    page = Client.objects.get(pk=northwind.pk)
    policy_memo(page)
    fresh = Client.objects.get(pk=northwind.pk)
    assert longest_cooling_off(page) == longest_cooling_off(fresh) == max(hours)
    for category in CATEGORIES:
        assert (
            policy_for(client=page, category=category).cooling_off_hours
            == policy_for(client=fresh, category=category).cooling_off_hours
        )


def test_one_read_serves_every_policy_and_the_longest_cooling_off(northwind):
    policies_ensure_defaults(client=northwind)
    page = Client.objects.get(pk=northwind.pk)
    policy_memo(page)
    with CaptureQueriesContext(connection) as queries:
        policy_for(client=page, category=Category.CONTACT)
        policy_for(client=page, category=Category.BILLING)
        longest_cooling_off(page)
        policy_for(client=page, category=Category.CONTACT)
    assert len(queries) == 1


def test_an_edit_shows_on_the_next_request_and_without_the_memo_at_once(northwind):
    policies_ensure_defaults(client=northwind)
    page = Client.objects.get(pk=northwind.pk)
    policy_memo(page)
    assert longest_cooling_off(page) == 24
    _set_hours(northwind, Category.SECURITY, 72)
    # The page's instance answers as it did for the rest of its request...
    assert longest_cooling_off(page) == 24
    # ...the next request's instance and any instance without the memo (a service's) read
    # what is there now.
    following = Client.objects.get(pk=northwind.pk)
    policy_memo(following)
    assert longest_cooling_off(following) == 72
    assert longest_cooling_off(northwind) == 72
    _set_hours(northwind, Category.SECURITY, 48)
    assert longest_cooling_off(northwind) == 48


def test_a_client_without_policies_yet_is_set_up_and_the_page_sees_all_of_them(northwind):
    """The page's first read found nothing; `policy_for` creates the defaults and the
    page's snapshot is read again: the longest cooling-off is the defaults' (24 h for
    security and billing), not that of the one policy asked for."""
    assert not Policy.objects.filter(client=northwind).exists()
    page = Client.objects.get(pk=northwind.pk)
    policy_memo(page)
    assert longest_cooling_off(page) == 0  # nothing there yet: as the database says
    contact = policy_for(client=page, category=Category.CONTACT)
    assert contact.cooling_off_hours == 0
    assert longest_cooling_off(page) == longest_cooling_off(northwind) == 24
