"""API keys: Bearer authentication, revocation, hashing, and the create_api_key command."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from audit.models import AuditEvent
from profiledesk.api.keys import api_key_create, api_key_revoke
from profiledesk.api.models import ApiKey
from tests.api.conftest import bearer, email_change, submit
from tests.conftest import signed_in

STATUS_URL = "/api/v1/change-requests/PD-000001/"


def test_a_request_without_a_key_is_refused_with_401_and_says_why(db):
    response = APIClient().get(STATUS_URL)
    assert response.status_code == 401
    assert response.json()["detail"] == "Authentication credentials were not provided."
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_key_is_refused(northwind_key):
    _, raw = northwind_key
    forged = raw[:-4] + ("aaaa" if not raw.endswith("aaaa") else "bbbb")
    response = bearer(forged).get(STATUS_URL)
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid API key."


def test_something_that_is_not_a_key_is_refused(db):
    response = bearer("hunter2").get(STATUS_URL)
    assert response.status_code == 401
    assert response.json()["detail"] == "This is not a ProfileDesk API key."


def test_a_key_sent_as_basic_auth_is_refused_with_how_to_send_it(northwind_key):
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Basic {northwind_key[1]}")
    response = http.get(STATUS_URL)
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["detail"]


def test_a_revoked_key_is_refused(northwind_key, customer):
    api_key, raw = northwind_key
    api_key_revoke(api_key=api_key)
    response = submit(bearer(raw), email_change(customer))
    assert response.status_code == 401
    assert response.json()["detail"] == "This API key has been revoked."


def test_a_key_of_an_inactive_client_is_refused(northwind_key, northwind):
    northwind.is_active = False
    northwind.save(update_fields=["is_active"])
    response = bearer(northwind_key[1]).get(STATUS_URL)
    assert response.status_code == 401


def test_a_staff_session_does_not_open_the_api(agent):
    response = signed_in(agent).get(STATUS_URL)
    assert response.status_code == 401


def test_the_key_is_kept_only_as_a_hash_and_a_prefix(northwind):
    api_key, raw = api_key_create(client=northwind, name="Chatbot")
    secret = raw.split("_", 2)[2]
    stored = ApiKey.objects.filter(pk=api_key.pk).values().get()
    assert secret not in str(stored)
    assert raw.startswith(f"pdk_{api_key.prefix}_")


def test_using_a_key_records_when_it_was_last_used(northwind_key):
    api_key, raw = northwind_key
    assert api_key.last_used_at is None
    bearer(raw).get(STATUS_URL)
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_creating_and_revoking_a_key_are_audit_events(northwind, personas):
    api_key, _ = api_key_create(client=northwind, name="Web form", by=personas["desk_admin"])
    api_key_revoke(api_key=api_key, by=personas["desk_admin"])
    actions = list(
        AuditEvent.objects.filter(target_id=str(api_key.pk)).values_list("action", flat=True)
    )
    assert sorted(actions) == ["api_key.created", "api_key.revoked"]


def test_the_command_prints_a_working_key_once(northwind, customer):
    out, err = StringIO(), StringIO()
    call_command("create_api_key", "northwind", "--name", "Kiosk", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert ApiKey.objects.get(name="Kiosk").client == northwind
    assert "cannot be shown again" in err.getvalue()
    assert submit(bearer(raw), email_change(customer)).status_code == 201


def test_the_command_refuses_an_unknown_client(db):
    with pytest.raises(CommandError, match="No client"):
        call_command("create_api_key", "nobody", stdout=StringIO(), stderr=StringIO())


def test_a_desk_admin_revokes_keys_from_the_admin(personas, northwind_key):
    api_key, raw = northwind_key
    response = signed_in(personas["desk_admin"]).post(
        "/admin/api/apikey/",
        {"action": "revoke", "_selected_action": [api_key.pk]},
    )
    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert bearer(raw).get(STATUS_URL).status_code == 401
