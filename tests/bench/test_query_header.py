"""The HTTP bench's query counter (tests/bench/settings.py, `make bench`): the bench holds
each page's count, read through gunicorn, against the page's budget, so the count must be
all of the request's own queries, and a request that does not ask is left alone."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.bench.urls import QUERIES_HEADER
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def bench_settings(settings):
    """What tests/bench/settings.py adds to production's."""
    settings.ROOT_URLCONF = "tests.bench.urls"
    settings.MIDDLEWARE = ["tests.bench.urls.count_queries", *settings.MIDDLEWARE]


def test_the_count_is_every_query_of_the_request(bench_settings, agent):
    http = signed_in(agent)
    with CaptureQueriesContext(connection) as queries:
        response = http.get("/bench/bare/?ref=PD-404", headers={QUERIES_HEADER: "1"})
    assert response.status_code == 200
    # Session, user, second factor and the view's lookup: the whole request, not the view's.
    assert int(response[QUERIES_HEADER]) == len(queries) >= 4


def test_a_page_that_redirects_to_sign_in_is_counted_too(bench_settings, agent):
    """The bench tells a lost session by the status and the page's marker; the count is
    there either way, so a redirect can never pass for a cheap page silently."""
    response = signed_in(agent, verified=False).get("/tickets/", headers={QUERIES_HEADER: "1"})
    assert response.status_code == 302
    assert QUERIES_HEADER in response


def test_a_request_that_does_not_ask_is_not_counted(bench_settings, agent):
    response = signed_in(agent).get("/bench/bare/?ref=PD-404")
    assert response.status_code == 200
    assert QUERIES_HEADER not in response
