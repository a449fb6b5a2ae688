"""The OpenAPI schema validates, covers the API, and its docs page needs no CDN."""

import re
from io import StringIO

import pytest
import yaml
from django.core.management import call_command


def test_the_schema_validates_without_a_single_warning(db, tmp_path):
    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(target),
        stdout=StringIO(),
        stderr=StringIO(),
    )
    schema = yaml.safe_load(target.read_text())
    assert set(schema["paths"]) == {
        "/api/v1/change-requests/",
        "/api/v1/change-requests/{reference}/",
        "/api/v1/events/{fetch_id}/",
    }
    assert schema["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"


def test_the_schema_is_served_to_anyone(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    create = schema["paths"]["/api/v1/change-requests/"]["post"]
    assert {"200", "201", "400", "401", "422"} <= set(create["responses"])
    header = next(p for p in create["parameters"] if p["name"] == "Idempotency-Key")
    assert header["required"] is True


def test_the_request_body_schema_refuses_unknown_fields(client):
    schemas = client.get("/api/schema/?format=json").json()["components"]["schemas"]
    assert schemas["ChangeRequestCreate"]["additionalProperties"] is False
    assert schemas["Changes"]["additionalProperties"] is False


def test_the_docs_page_is_served_from_the_desk_without_any_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("swagger-ui" in a for a in assets)
    assert all(a.startswith("/") for a in assets), assets
    assert "cdn" not in html.lower()
    for asset in (a for a in assets if a.startswith("/static/")):
        assert client.get(asset).status_code == 200, asset


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/"])
def test_the_schema_and_docs_need_no_staff_sign_in(client, url, db):
    assert client.get(url).status_code == 200


def test_an_api_path_with_a_line_break_is_a_json_404(client):
    # The catch-all route must match any character: "." alone stops at a line break, and
    # such a path fell through to the desk's HTML 404 (schemathesis found it).
    response = client.get("/api/v1/events/%C2%A96%0Ay/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
