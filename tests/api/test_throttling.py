"""Rate limits per API key: a key over its limit gets a 429 with Retry-After; other keys,
even of the same client behind the same IP, go on; the window passes; a cache outage
lets requests through instead of failing them."""

from unittest import mock

import pytest
import time_machine
from django.core.cache import cache
from redis.exceptions import ConnectionError as RedisConnectionError

from profiledesk.api.keys import api_key_create
from profiledesk.api.throttling import cache_key
from tests.api.conftest import bearer, email_change, submit


@pytest.fixture(autouse=True)
def _low_rates(settings):
    settings.API_RATE_CREATE = "3/min"
    settings.API_RATE_READ = "5/min"


def _fresh_key(client, name):
    """A key with no counts left over from another test (ids repeat on SQLite)."""
    api_key, raw = api_key_create(client=client, name=name)
    cache.delete_many([cache_key(s, api_key.pk) for s in ("api_create", "api_read")])
    return bearer(raw)


def _status(http, reference):
    return http.get(f"/api/v1/change-requests/{reference}/")


def test_a_key_over_its_create_limit_gets_429_with_retry_after(northwind, customer):
    app = _fresh_key(northwind, "App")
    with time_machine.travel("2026-03-02 10:00:00", tick=False):
        for n in range(3):
            assert submit(app, email_change(customer, f"n{n}@example.com")).status_code == 201
        response = submit(app, email_change(customer, "n3@example.com"))
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response.json() == {
        "detail": "Too many requests with this API key. Try again in 60 seconds."
    }
    assert northwind.tickets.count() == 3


def test_another_key_of_the_same_client_is_not_affected(northwind, customer):
    app, web = _fresh_key(northwind, "App"), _fresh_key(northwind, "Web form")
    with time_machine.travel("2026-03-02 10:00:00", tick=False):
        for n in range(3):
            submit(app, email_change(customer, f"n{n}@example.com"))
        assert submit(app, email_change(customer, "x@example.com")).status_code == 429
        assert submit(web, email_change(customer, "y@example.com")).status_code == 201


def test_the_limit_resets_when_the_window_has_passed(northwind, customer):
    app = _fresh_key(northwind, "App")
    with time_machine.travel("2026-03-02 10:00:00", tick=False) as clock:
        for n in range(3):
            submit(app, email_change(customer, f"n{n}@example.com"))
        clock.shift(30)
        response = submit(app, email_change(customer, "early@example.com"))
        assert response.status_code == 429
        assert response["Retry-After"] == "30"
        clock.shift(31)
        assert submit(app, email_change(customer, "later@example.com")).status_code == 201


def test_reads_have_their_own_limit(northwind, customer):
    app = _fresh_key(northwind, "App")
    with time_machine.travel("2026-03-02 10:00:00", tick=False):
        reference = submit(app, email_change(customer)).json()["reference"]
        for _ in range(5):
            assert _status(app, reference).status_code == 200
        throttled = _status(app, reference)
        assert throttled.status_code == 429
        assert throttled["Retry-After"] == "60"
        # Reading more did not use up the key's submissions.
        assert submit(app, email_change(customer, "z@example.com")).status_code == 201


def test_a_request_with_a_bad_key_is_refused_without_counting(northwind, customer):
    response = submit(bearer("pdk_nothing_here"), email_change(customer))
    assert response.status_code == 401


def test_a_cache_outage_lets_requests_through(northwind, customer, caplog):
    app = _fresh_key(northwind, "App")
    down = RedisConnectionError("Connection refused")
    with (
        mock.patch.object(cache, "get", side_effect=down),
        mock.patch.object(cache, "set", side_effect=down),
    ):
        for n in range(5):  # over the limit of 3: nothing could count them
            assert submit(app, email_change(customer, f"n{n}@example.com")).status_code == 201
    assert "rate limit not checked" in caplog.text


def test_the_schema_documents_the_429_and_its_retry_after(client, db):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    for operation in (
        paths["/api/v1/change-requests/"]["post"],
        paths["/api/v1/change-requests/{reference}/"]["get"],
    ):
        too_many = operation["responses"]["429"]
        assert too_many["headers"]["Retry-After"]["schema"]["type"] == "integer"
        assert "200" not in operation["responses"] or "Retry-After" not in operation["responses"][
            "200"
        ].get("headers", {})
