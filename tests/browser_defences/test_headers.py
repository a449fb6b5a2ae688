"""Every page type carries the browser-side defences (issue 12, ASVS 14.4.3, 8.2.1):
a Content-Security-Policy that allows no inline or eval'd script, a Permissions-Policy
that turns off what the desk never uses, and `Cache-Control: no-store`.

The pages: a few per role, the sign-in page, a password-only page, an htmx partial, the
public report page, the API (JSON, docs page and its start-up script), an error page and
the Django admin. Static files are the exception: WhiteNoise answers them first."""

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from profiledesk.confirmations.services import confirmations_create
from tests.confirmations.conftest import email_change, link_token
from tests.conftest import signed_in
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

REQUIRED = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'none'"},
    "frame-ancestors": {"'none'"},
    "form-action": {"'self'"},
}
UNUSED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb")


def policy(response) -> dict[str, set[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        assert name not in directives, f"{name} twice in {header}"
        directives[name] = set(values)
    return directives


def assert_defended(response) -> None:
    path = response.request["PATH_INFO"]
    directives = policy(response)
    for name, values in REQUIRED.items():
        assert directives.get(name) == values, (path, name, directives.get(name))
    for name in ("script-src", "script-src-elem", "script-src-attr", "default-src"):
        unsafe = directives.get(name, set()) & {"'unsafe-inline'", "'unsafe-eval'"}
        assert not unsafe, (path, name, unsafe)
    assert "'unsafe-inline'" not in directives.get("style-src", set()), path
    features = response.headers.get("Permissions-Policy", "")
    for feature in UNUSED_FEATURES:
        assert f"{feature}=()" in features, (path, feature, features)
    cache = {part.strip() for part in response.headers.get("Cache-Control", "").split(",")}
    assert "no-store" in cache, (path, response.headers.get("Cache-Control"))


@pytest.fixture
def ticket(personas, customer):
    return TicketFactory(customer=customer, created_by=personas["agent"])


def test_the_sign_in_page_and_a_password_only_page_are_defended(personas):
    assert_defended(HttpClient().get(reverse("accounts:login")))
    half = signed_in(personas["agent"], verified=False)
    assert_defended(half.get(reverse("accounts:otp")))
    # A redirect to the sign-in page too (it could carry a URL with a customer's id).
    assert_defended(HttpClient().get(reverse("customers:search")))


@pytest.mark.parametrize(
    ("role", "pages"),
    [
        ("agent", ["tickets:queue", "customers:search", "customers:profile", "tickets:detail",
                   "tickets:new", "verification:panel", "accounts:sessions"]),
        ("supervisor", ["approvals:queue", "tickets:detail", "customers:profile"]),
        ("compliance", ["audit:customer_history", "audit:ticket_audit", "exports:list",
                        "approvals:queue"]),
        ("security", ["tickets:queue", "customers:profile"]),
        ("desk_admin", ["admin:index", "admin:accounts_user_changelist"]),
    ],
)  # fmt: skip
def test_every_role_s_pages_are_defended(personas, customer, ticket, role, pages):
    http = signed_in(personas[role])
    args = {
        "customers:profile": [customer.pk],
        "tickets:new": [customer.pk],
        "audit:customer_history": [customer.pk],
        "tickets:detail": [ticket.reference],
        "audit:ticket_audit": [ticket.reference],
        "verification:panel": [ticket.reference],
    }
    for name in pages:
        response = http.get(reverse(name, args=args.get(name, [])))
        assert response.status_code == 200, (name, response.status_code)
        assert_defended(response)


def test_htmx_partials_and_the_staff_activity_page_are_defended(personas, customer):
    http = signed_in(personas["agent"])
    partial = http.get(reverse("tickets:queue"), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert b"<html" not in partial.content  # the partial, not the page
    assert_defended(partial)
    search = http.get(reverse("customers:search"), {"q": "Hopper"}, HTTP_HX_REQUEST="true")
    assert_defended(search)
    activity = signed_in(personas["compliance"]).get(
        reverse("audit:staff_activity", args=[personas["agent"].pk])
    )
    assert activity.status_code == 200
    assert_defended(activity)


def test_error_pages_and_the_public_report_page_are_defended(personas, customer):
    ticket, old = email_change(customer)
    to_old = next(m for m in confirmations_create(ticket=ticket) if m.recipient == old)
    report = HttpClient().get(reverse("confirmations:report", args=[link_token(to_old)]))
    assert report.status_code == 200
    assert_defended(report)
    assert_defended(HttpClient().get(reverse("confirmations:report", args=["not-a-token"])))
    http = signed_in(personas["agent"])
    assert_defended(http.get("/customers/999999999/"))  # 404
    assert_defended(http.get(reverse("exports:list")))  # 403: agents export nothing


def test_the_api_and_its_docs_page_are_defended(db):
    http = HttpClient()
    docs = http.get(reverse("api:docs"))
    assert docs.status_code == 200
    assert_defended(docs)
    html = docs.content.decode()
    # No inline script or style on the docs page: its start-up script is a file.
    assert "<script>" not in html and "<style" not in html
    assert "?script=" in html or "&amp;script=" in html
    script = http.get(reverse("api:docs"), {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content
    assert_defended(http.get(reverse("api:schema")))
    # A client system's JSON answer (here: 401 without a key) is not cached either.
    assert_defended(http.get("/api/v1/change-requests/PD-000001/"))


def test_a_view_s_own_cache_control_is_kept(personas):
    # The sign-in page says never_cache itself: kept (it includes no-store).
    response = HttpClient().get(reverse("accounts:login"))
    assert "max-age=0" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


def test_static_files_stay_cacheable(client):
    # WhiteNoise answers static files before the middleware: they keep their caching.
    response = client.get("/static/desk/desk.js")
    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"]
