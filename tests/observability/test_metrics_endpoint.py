"""GET /metrics: off unless configured, never open; a scraper needs the bearer token and/or
an address in the allowed networks; the page holds the desk's series."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from profiledesk.exports.models import Export
from tests.exports.helpers import queued_export

TOKEN = "scrape-token-0123456789abcdefghijklmnop"
BROKER_DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def scrape(**headers):
    return Client(**headers).get("/metrics")


@pytest.mark.django_db
@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_NETWORKS=[])
def test_without_configuration_the_endpoint_does_not_exist_whatever_is_sent():
    assert scrape().status_code == 404
    assert scrape(HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404


@pytest.mark.django_db
@override_settings(METRICS_TOKEN=TOKEN, CELERY_BROKER_URL=BROKER_DOWN, METRICS_ENABLED=False)
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong-token",
        f"Bearer {TOKEN[:-1]}",  # a prefix is not the token
        f"Bearer {TOKEN}x",
        f"Basic {TOKEN}",  # the right secret in the wrong scheme
        TOKEN,
    ],
)
def test_a_missing_or_wrong_token_is_refused_with_401(authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = scrape(**headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"profiledesk_" not in response.content


@pytest.mark.django_db
@override_settings(METRICS_TOKEN=TOKEN, CELERY_BROKER_URL=BROKER_DOWN, METRICS_ENABLED=False)
def test_the_right_token_reads_the_desks_series_even_with_the_broker_down():
    response = scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    text = response.content.decode()
    assert "profiledesk_celery_broker_up 0.0" in text  # said, not a 500
    for outbox, status in [
        ("message", "queued"),
        ("message", "sending"),
        ("delivery", "pending"),
        ("delivery", "failing"),
        ("export", "queued"),
        ("export", "running"),
    ]:
        line = f'profiledesk_outbox_oldest_age_seconds{{outbox="{outbox}",status="{status}"}} 0.0'
        assert line in text


@pytest.mark.django_db
@override_settings(
    METRICS_TOKEN="", METRICS_ALLOWED_NETWORKS=["10.20.0.0/16"], CELERY_BROKER_URL=BROKER_DOWN
)
def test_an_address_outside_the_allowed_networks_is_not_told_the_endpoint_exists():
    assert scrape(REMOTE_ADDR="10.21.0.5").status_code == 404
    assert scrape(REMOTE_ADDR="127.0.0.1").status_code == 404
    # A forwarded-for header is the client's word, not its address.
    assert scrape(REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.20.0.5").status_code == 404
    assert scrape(REMOTE_ADDR="10.20.3.4").status_code == 200
    # Through the load balancer (itself inside the network): never trusted by address.
    for header in ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED"):
        assert scrape(REMOTE_ADDR="10.20.0.2", **{header: "203.0.113.9"}).status_code == 404


@pytest.mark.django_db
@override_settings(
    METRICS_TOKEN=TOKEN, METRICS_ALLOWED_NETWORKS=["10.20.0.0/16"], CELERY_BROKER_URL=BROKER_DOWN
)
def test_with_both_configured_both_are_required():
    assert scrape(REMOTE_ADDR="10.20.3.4").status_code == 401
    outside = scrape(REMOTE_ADDR="10.99.3.4", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert outside.status_code == 404
    inside = scrape(REMOTE_ADDR="10.20.3.4", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert inside.status_code == 200


@pytest.mark.django_db
@override_settings(METRICS_TOKEN=TOKEN, CELERY_BROKER_URL=BROKER_DOWN)
def test_only_get_is_answered():
    response = Client().post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code in (403, 405)  # CSRF or the method: never a scrape


@pytest.mark.django_db
@override_settings(METRICS_TOKEN=TOKEN, CELERY_BROKER_URL=BROKER_DOWN, METRICS_ENABLED=False)
def test_the_outbox_lag_is_the_oldest_open_exports_age_read_in_a_fixed_number_of_queries(
    personas, northwind
):
    now = timezone.now()
    for minutes in (5, 61, 30):
        export = queued_export(northwind, personas["compliance"])
        Export.objects.filter(pk=export.pk).update(updated_at=now - dt.timedelta(minutes=minutes))
    Export.objects.filter(pk=export.pk).update(status="running")  # the 30-minute one
    http = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    # Expect 6 queries: the oldest open row of each outbox and status (messages queued and
    # sending, deliveries pending and failing, exports queued and running), LIMIT 1 each.
    with CaptureQueriesContext(connection) as queries:
        text = http.get("/metrics").content.decode()
    assert len(queries.captured_queries) == 6
    assert all("LIMIT 1" in query["sql"] for query in queries.captured_queries)
    queued = _sample(text, 'profiledesk_outbox_oldest_age_seconds{outbox="export",status="queued"}')
    running = _sample(
        text, 'profiledesk_outbox_oldest_age_seconds{outbox="export",status="running"}'
    )
    assert 61 * 60 <= queued < 62 * 60
    assert 30 * 60 <= running < 31 * 60


def _sample(text: str, series: str) -> float:
    [line] = [line for line in text.splitlines() if line.startswith(series + " ")]
    return float(line.rsplit(" ", 1)[1])
