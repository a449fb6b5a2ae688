"""Request metrics are labelled by the URL pattern's name, never by the path: no token
of a report link, no customer id, no ticket reference, no hostile path becomes a label."""

import pytest
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY, generate_latest

from profiledesk.observability.metrics import LATENCY, QUERIES

SEGMENTS = st.from_regex(r"[A-Za-z0-9_\-]{20,40}", fullmatch=True)


def exposition() -> str:
    return generate_latest(REGISTRY).decode()


def latency_count(view: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "profiledesk_http_request_duration_seconds_count",
            {"view": view, "method": "GET", "status": "4xx"},
        )
        or REGISTRY.get_sample_value(
            "profiledesk_http_request_duration_seconds_count",
            {"view": view, "method": "GET", "status": "2xx"},
        )
        or 0.0
    )


@pytest.mark.django_db
@override_settings(METRICS_ENABLED=True)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(token=SEGMENTS, number=st.integers(min_value=10**6, max_value=10**12))
def test_a_path_parameter_never_becomes_a_label(token, number):
    http = Client()
    before = exposition()
    http.get(f"/confirm/report/{token}")  # a customer's link: the token is the path
    http.get(f"/customers/{number}/")  # a customer id (redirected to sign in)
    http.get(f"/tickets/PD-{number}/")
    http.get(f"/{token}/{number}/")  # no such page
    text = exposition()
    assert text != before  # the requests were counted
    assert token not in text
    assert str(number) not in text
    assert 'view="confirmations:report"' in text
    assert 'view="<unmatched>"' in text


@pytest.mark.django_db
@override_settings(METRICS_ENABLED=True)
def test_each_request_is_timed_and_its_queries_counted_under_its_views_name():
    before = latency_count("confirmations:report")
    queries_before = (
        REGISTRY.get_sample_value(
            "profiledesk_http_request_db_queries_count", {"view": "confirmations:report"}
        )
        or 0.0
    )
    Client().get("/confirm/report/not-a-valid-token")
    assert latency_count("confirmations:report") == before + 1
    assert (
        REGISTRY.get_sample_value(
            "profiledesk_http_request_db_queries_count", {"view": "confirmations:report"}
        )
        == queries_before + 1
    )
    assert LATENCY._labelnames == ("view", "method", "status")
    assert QUERIES._labelnames == ("view",)


@pytest.mark.django_db
@override_settings(METRICS_ENABLED=True)
def test_an_unknown_method_is_one_label_not_one_per_method():
    http = Client()
    for method in ("BREW", "PROPFIND", "X-EVIL-12345"):
        http.generic(method, "/confirm/report/abc")
    text = exposition()
    assert "BREW" not in text and "X-EVIL-12345" not in text
    assert 'method="other"' in text


@pytest.mark.django_db
@override_settings(METRICS_ENABLED=False)
def test_with_metrics_off_nothing_is_timed():
    before = latency_count("confirmations:report")
    Client().get("/confirm/report/not-a-valid-token")
    assert latency_count("confirmations:report") == before
