"""Every URL the desk serves, for every role, an anonymous visitor, a staff member who has
only passed the password step, and a member of another client.

The URL list is read from the resolver, not written down: a URL added later without a
row in MATRIX fails this test, so nothing can escape the second factor or the scoping.
"""

import re
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import ROLES, signed_in
from tests.connectors.helpers import delivery_for
from tests.exports.helpers import queued_export
from tests.factories import TicketFactory

DESK_ROLES = frozenset(ROLES)
CUSTOMER_WORK = DESK_ROLES - {"desk_admin"}
FLOOR = frozenset({"agent", "supervisor"})
APPROVERS = frozenset({"supervisor", "compliance"})
SECURITY = frozenset({"security"})
PERSONAS = ["anonymous", "password_only", *ROLES, "outsider"]


@dataclass(frozen=True)
class Rule:
    """Who gets `ok` for `method`; verified staff outside `allowed` get 403."""

    method: str = "get"
    allowed: frozenset = DESK_ROLES
    ok: int = 200
    # "verified" (default), "password_step" (the OTP pages) or "public".
    gate: str = "verified"
    # The URL names a Northwind customer: a member of another client gets 404.
    scoped: bool = False
    data: dict = field(default_factory=dict)
    # Roles the permission lets in but the view refuses here (403) for a reason of its own:
    # a member of another client still gets 404.
    refused: frozenset = frozenset()


MATRIX: dict[str, Rule] = {
    "home": Rule(ok=302),
    "healthz": Rule(gate="public", ok=-1),  # 200 or 503 by the services' state
    "accounts:login": Rule(gate="public"),
    "accounts:logout": Rule(method="post", gate="public", ok=302),
    "accounts:otp": Rule(gate="password_step", ok=-1),
    "accounts:otp_setup": Rule(gate="password_step", ok=-1),
    "accounts:sessions": Rule(),
    "accounts:sessions_end_others": Rule(method="post", ok=302),
    "accounts:password_change": Rule(),
    "accounts:session_idle": Rule(),
    "accounts:session_stay": Rule(method="post"),
    "customers:search": Rule(allowed=CUSTOMER_WORK),
    "customers:profile": Rule(allowed=CUSTOMER_WORK, scoped=True),
    # Masked until verified (issue 11): the fixture's agent holds no verified ticket of the
    # customer; supervisors, compliance and security reveal with a reason.
    "customers:reveal": Rule(
        method="post",
        allowed=CUSTOMER_WORK,
        scoped=True,
        data={"reason": "Authorization matrix"},
        refused=frozenset({"agent"}),
    ),
    # The queue lists only the staff member's clients' tickets (an outsider gets an empty 200).
    "tickets:queue": Rule(allowed=CUSTOMER_WORK),
    "tickets:claim": Rule(method="post", allowed=FLOOR, ok=302, scoped=True),
    "tickets:reassign": Rule(
        method="post", allowed=frozenset({"supervisor"}), ok=302, scoped=True, data={"to": "agent"}
    ),
    "tickets:new": Rule(allowed=FLOOR, scoped=True),
    "tickets:detail": Rule(allowed=CUSTOMER_WORK, scoped=True),
    "tickets:move": Rule(
        method="post", allowed=CUSTOMER_WORK, ok=302, scoped=True, data={"to": "verifying"}
    ),
    "tickets:comment": Rule(
        method="post",
        allowed=CUSTOMER_WORK,
        ok=302,
        scoped=True,
        data={"body": "Customer called back."},
    ),
    # Identity verification wizard (verification/): the floor works it; a refusal (the
    # fixture's ticket is not being verified) redirects to the ticket with a message.
    "verification:panel": Rule(allowed=FLOOR, scoped=True),
    "verification:otp_send": Rule(method="post", allowed=FLOOR, ok=302, scoped=True),
    "verification:otp_check": Rule(method="post", allowed=FLOOR, ok=302, scoped=True),
    "verification:questions": Rule(method="post", allowed=FLOOR, ok=302, scoped=True),
    "verification:document_upload": Rule(method="post", allowed=FLOOR, ok=302, scoped=True),
    # No document was uploaded on the fixture's ticket: 404 even for the floor.
    "verification:document": Rule(allowed=FLOOR, ok=404, scoped=True),
    "verification:reveal": Rule(method="post", allowed=FLOOR, ok=302, scoped=True),
    # "Mark verified": refused with a message on the fixture's new ticket (a redirect).
    "verification:complete": Rule(method="post", allowed=FLOOR, ok=302, scoped=True),
    # Approvals (profiledesk/approvals): the queue is for approvers; decisions on the
    # fixture's new ticket are refused with a message and a redirect to it.
    "approvals:queue": Rule(allowed=APPROVERS),
    "apply:apply": Rule(method="post", allowed=FLOOR, ok=302, scoped=True),
    "approvals:submit": Rule(method="post", allowed=FLOOR, ok=302, scoped=True),
    "approvals:approve": Rule(method="post", allowed=APPROVERS, ok=302, scoped=True),
    # The identity document behind a ticket, for whoever approves, audits or reviews it
    # for fraud (the fixture names no document: 404 for them, 403 for the others).
    "approvals:document": Rule(allowed=APPROVERS | SECURITY, ok=404, scoped=True),
    "approvals:reject": Rule(
        method="post", allowed=APPROVERS, ok=302, scoped=True, data={"reason": "No."}
    ),
    "customers:freeze": Rule(
        method="post", allowed=SECURITY, ok=302, scoped=True, data={"reason": "Takeover?"}
    ),
    "customers:unfreeze": Rule(
        method="post", allowed=SECURITY, ok=302, scoped=True, data={"reason": "Cleared"}
    ),
    # Client systems: an API key, never a staff session (a signed-in agent gets 401 too).
    "api:change_requests": Rule(method="post", gate="public", ok=401),
    "api:change_request": Rule(gate="public", ok=401),
    "api:schema": Rule(gate="public"),
    "api:docs": Rule(gate="public"),
    "api:not_found": Rule(gate="public", ok=404),  # JSON 404 for any other /api/ path
    # The e-mail provider: an HMAC signature, or 403.
    "inbound:email": Rule(method="post", gate="public", ok=403),
    # The customer's "this wasn't me" page: the signed token is the credential; a bad
    # token gets a clear page (404), never a 500. GET never acts.
    "confirmations:report": Rule(gate="public", ok=404),
    # Demo only: with DEBUG off (as here, and in production) it is a 404 for everyone;
    # with DEBUG on, desk admins only (tests/messaging/test_dev_outbox.py).
    "messaging:dev_outbox": Rule(ok=404),
    # Downstream systems (profiledesk/connectors): supervisors see the alert and retry a
    # delivery by hand (the fixture's is pending: refused with a message, 302).
    "connectors:alerts": Rule(allowed=frozenset({"supervisor"})),
    "connectors:retry": Rule(method="post", allowed=frozenset({"supervisor"}), ok=302, scoped=True),
    # The demo receiver's page of a delivery: demo mode only, so a 404 here (DEMO_MODE off,
    # as in production) for everyone; tests/demo/test_receiver.py covers it in demo mode.
    "demo:receiver_delivery": Rule(ok=404),
    # History pages (audit/views.py): compliance and supervisors read; only compliance
    # reveals a past value (audited). The staff page names a Northwind agent.
    "audit:customer_history": Rule(allowed=APPROVERS, scoped=True),
    "audit:history_reveal": Rule(
        method="post",
        allowed=frozenset({"compliance"}),
        scoped=True,
        data={"reason": "Authorization matrix"},
    ),
    "audit:ticket_audit": Rule(allowed=APPROVERS, scoped=True),
    "audit:staff_activity": Rule(allowed=APPROVERS, scoped=True),
    # Evidence exports (profiledesk/exports): compliance only. The fixture's export is
    # still queued, so its download is a 409; requests redirect to the list.
    "exports:list": Rule(allowed=frozenset({"compliance"})),
    "exports:audit_events": Rule(
        method="post",
        allowed=frozenset({"compliance"}),
        ok=302,
        data={"since": "2026-01-01", "until": "2026-01-31", "format": "csv"},
    ),
    "exports:customer_history": Rule(
        method="post",
        allowed=frozenset({"compliance"}),
        ok=302,
        scoped=True,
        data={"format": "csv"},
    ),
    "exports:dsar": Rule(method="post", allowed=frozenset({"compliance"}), ok=302, scoped=True),
    "exports:download": Rule(allowed=frozenset({"compliance"}), ok=409, scoped=True),
    "exports:progress": Rule(allowed=frozenset({"compliance"}), scoped=True),
    # The readable copy is of a data-subject export only: the fixture's is not one.
    "exports:dsar_readable": Rule(allowed=frozenset({"compliance"}), ok=404, scoped=True),
    # Rollback (profiledesk/rollback): compliance only. The fixture's ticket is new and its
    # personal details' version equals the profile: the confirm pages say why not (200),
    # the POSTs refuse with a message and a redirect. Waiving verification: the fixture's
    # ticket is no rollback ticket, so it is refused with a message (302).
    "rollback:ticket": Rule(allowed=frozenset({"compliance"}), scoped=True),
    "rollback:version": Rule(allowed=frozenset({"compliance"}), scoped=True),
    "verification:waive": Rule(
        method="post",
        allowed=frozenset({"compliance"}),
        ok=302,
        scoped=True,
        data={"reason": "Customer not on the line"},
    ),
    # The desk's search box (tickets/search_views.py): every role that works with customers;
    # an outsider searches only their own clients (an empty 200).
    "search": Rule(allowed=CUSTOMER_WORK),
    # Security's queue (profiledesk/security). The fixture's ticket is new, neither escalated
    # nor a report: claiming and closing it are refused with a message (302 to the ticket).
    "security:queue": Rule(allowed=SECURITY),
    "security:claim": Rule(method="post", allowed=SECURITY, ok=302, scoped=True),
    "security:close_report": Rule(
        method="post",
        allowed=SECURITY,
        ok=302,
        scoped=True,
        data={"reason": "Authorization matrix"},
    ),
    # The avatar a ticket asks to set, for its moderators (approvers), auditors and
    # security; the fixture's ticket has no avatar item: 404 for them, 403 for the others.
    "approvals:avatar": Rule(allowed=APPROVERS | SECURITY, ok=404, scoped=True),
    # Completing a request on its ticket (tickets/completion_views.py): the floor finds and
    # matches the customer and captures the change. The fixture's ticket is matched and
    # captured already: matching and capturing refuse with a message and a redirect; the
    # search page answers (with why not). It has no attachment: 404 for whoever may see it.
    "tickets:match_search": Rule(allowed=FLOOR, scoped=True),
    "tickets:match": Rule(method="post", allowed=FLOOR, ok=302, scoped=True),
    "tickets:capture": Rule(allowed=FLOOR, ok=302, scoped=True),
    "tickets:attachment": Rule(allowed=CUSTOMER_WORK, ok=404, scoped=True),
    # Editing a captured change (profiledesk/editing): the floor, and of them only the
    # ticket's assignee (the fixture's is the agent who opened it): the others see the
    # ticket page with why (403).
    "editing:edit": Rule(allowed=FLOOR, scoped=True, refused=frozenset({"supervisor"})),
    # One person at a time (issue 14): a supervisor takes over a claimed ticket (the
    # fixture's is the agent's); the ticket page's poll, for whoever may see the ticket.
    "tickets:take_over": Rule(
        method="post", allowed=frozenset({"supervisor"}), ok=302, scoped=True
    ),
    "tickets:live": Rule(allowed=CUSTOMER_WORK, scoped=True),
    # A thin connector's receiver fetches an event's values with its client's API key,
    # never with a staff session (tests/connectors/test_thin.py).
    "api:event": Rule(gate="public", ok=401),
    # The audit-events list (audit/views.py): whoever reads the history pages, of their
    # own clients only (an outsider is an agent: 403; another client's rows never listed).
    "audit:events": Rule(allowed=APPROVERS),
    # Staff notifications (profiledesk/notifications): each staff member's own, for whoever
    # works tickets; the badges' poll likewise. Marking one read: the fixture's id is
    # nobody's (a notification of another user is the same 404, tests/notifications).
    "notifications:list": Rule(allowed=CUSTOMER_WORK),
    "notifications:badges": Rule(allowed=CUSTOMER_WORK),
    "notifications:read": Rule(method="post", allowed=CUSTOMER_WORK, ok=404),
    "notifications:read_all": Rule(method="post", allowed=CUSTOMER_WORK, ok=302),
    # Prometheus's scrape: off (404) unless METRICS_TOKEN / METRICS_ALLOWED_NETWORKS are set,
    # and then a bearer token, never a staff session (tests/observability/).
    "observability:metrics": Rule(gate="public", ok=404),
    # Dashboards (issue 16): the floor's for supervisors and compliance, compliance's own
    # for compliance; each panel's CSV for whoever sees the dashboard. Scoped by the filter
    # form (another client's id is a 400: tests/dashboards/test_pages.py).
    "dashboards:supervisor": Rule(allowed=APPROVERS),
    "dashboards:compliance": Rule(allowed=frozenset({"compliance"})),
    "dashboards:csv": Rule(allowed=APPROVERS),
    # The customer portal (issue 17): public to the desk (its own session, never a staff
    # one): pages that need a portal sign-in send everyone here to the portal's sign-in.
    "portal:index": Rule(gate="public"),
    "portal:sign_in": Rule(gate="public"),
    "portal:code": Rule(gate="public", ok=302),
    "portal:sign_out": Rule(method="post", gate="public", ok=302),
    "portal:language": Rule(method="post", gate="public", ok=302),
    "portal:brand": Rule(gate="public"),
    "portal:home": Rule(gate="public", ok=302),
    "portal:change": Rule(gate="public", ok=302),
    "portal:request": Rule(gate="public", ok=302),
    "portal:report": Rule(gate="public", ok=302),
    # The identity provider (issue 18): the floor works the wizard's panel (the fixture's
    # ticket is new and unclaimed: starting is refused with a message, 302); the provider's
    # decision webhook is public, its signature the credential (none here: 400).
    "idv:panel": Rule(allowed=FLOOR, scoped=True),
    "idv:start": Rule(method="post", allowed=FLOOR, ok=302, scoped=True),
    "idv:stripe_webhook": Rule(method="post", gate="public", ok=400),
}


def all_url_patterns(patterns=None, namespace="", route=""):
    """(name with namespace, pattern, full route text) of every URL the desk serves."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        here = route + str(entry.pattern).lstrip("^").rstrip("$")
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from all_url_patterns(entry.url_patterns, inner, here)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}{entry.name}" if entry.name else None), entry, here


def concrete(route: str, values: dict) -> str:
    """A path for `route`, every parameter (named or not) filled from values or "1"."""
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m.group(1), "1")), route)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values.get(m.group(1), "1")), path)
    return "/" + re.sub(r"\([^)]*\)", "1", path)


def parameters(pattern: URLPattern) -> list[str]:
    converters = getattr(pattern.pattern, "converters", None)
    return list(converters) if converters else list(pattern.pattern.regex.groupindex)


@pytest.fixture
def url_values(customer, personas):
    ticket = TicketFactory(customer=customer, created_by=personas["agent"])
    return {
        "reference": ticket.reference,
        "customer_id": customer.pk,
        "kind": "personal",
        "row_id": customer.personal.pk,
        "field": "national_id",
        "document_id": 1,
        "attachment_id": 1,
        "delivery_id": delivery_for(ticket).pk,
        "token": "not-a-signed-token",
        "model": "personaldetails",
        "history_id": customer.personal.history.latest().history_id,
        "user_id": personas["agent"].pk,
        "export_id": queued_export(customer.client, personas["compliance"]).pk,
        "item_id": 1,
        "fetch_id": "00000000-0000-4000-8000-000000000000",
        "notification_id": 999999,
        "key": "backlog-state",
        "slug": customer.client.slug,
        "link_id": 1,
    }


def test_every_url_has_a_name_and_a_rule():
    desk = [
        (name, route) for name, _, route in all_url_patterns() if not route.startswith("admin/")
    ]
    unnamed = [route for name, route in desk if name is None]
    missing = [name for name, _ in desk if name not in MATRIX]
    assert unnamed == [], "every URL needs a name so that the matrix can cover it"
    assert missing == [], "add these URLs to MATRIX with who may use them"
    stale = set(MATRIX) - {name for name, _, _ in all_url_patterns()}
    assert stale == set(), "MATRIX names URLs that no longer exist"


def _client_for(persona, personas):
    if persona == "anonymous":
        from django.test import Client

        return Client()
    if persona == "password_only":
        return signed_in(personas["agent"], verified=False)
    return signed_in(personas[persona])


def _request(http, method, url, data=None):
    return getattr(http, method)(url, data or {})


@pytest.mark.parametrize("persona", PERSONAS)
def test_desk_urls_let_in_exactly_who_may_use_them(persona, personas, url_values, settings):
    settings.HEALTH_CELERY_TIMEOUT = 0.2  # no worker runs here; /healthz answers 503 fast
    http = _client_for(persona, personas)
    login, otp = reverse("accounts:login"), reverse("accounts:otp")
    failures = []
    for name, pattern, route in all_url_patterns():
        if route.startswith("admin/"):
            continue
        rule = MATRIX[name]
        url = reverse(name, kwargs={p: url_values[p] for p in parameters(pattern)})
        # Each URL is judged on the fixture as given: what an earlier one did (a
        # supervisor's take-over makes them the assignee, who may then edit) is undone.
        with transaction.atomic():
            response = _request(http, rule.method, url, rule.data)
            transaction.set_rollback(True)
        status, location = response.status_code, response.get("Location", "")
        role = "agent" if persona == "outsider" else persona

        if rule.gate == "public":
            expected = "ok"
        elif persona == "anonymous":
            expected = "to-login"
        elif persona == "password_only":
            expected = "ok" if rule.gate == "password_step" else "to-otp"
        elif rule.gate == "password_step" or role in rule.allowed:
            expected = "404" if rule.scoped and persona == "outsider" else "ok"
            if expected == "ok" and role in rule.refused:
                expected = "403"
        else:
            expected = "403"

        got_ok = status in (200, 503) if rule.ok == -1 else status == rule.ok
        if rule.ok == -1 and rule.gate == "password_step":
            got_ok = status in (200, 302)
        outcome = {
            "ok": got_ok,
            "to-login": status == 302 and location.startswith(login),
            "to-otp": status == 302 and location.startswith(otp),
            "403": status == 403,
            "404": status == 404,
        }[expected]
        if not outcome:
            failures.append(
                f"{rule.method.upper()} {url} ({name}): expected {expected}, got "
                f"{status} {location}"
            )
        if rule.method == "post":
            # Sign-out and friends change the session: start afresh for the next URL.
            http = _client_for(persona, personas)
    assert failures == []


ADMIN_VALUES = {"app_label": "clients"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_admin_is_for_desk_admins_only(persona, personas):
    """Every Django admin URL: desk admins get in; everyone else is sent to sign in."""
    http = _client_for(persona, personas)
    failures = []
    for name, _, route in all_url_patterns():
        if not route.startswith("admin/") or name == "admin:logout":
            continue
        url = concrete(route, ADMIN_VALUES)
        response = http.get(url)
        status = response.status_code
        if persona == "desk_admin":
            # 302/404 for the placeholder object ids; never a server error.
            allowed = status in (200, 302, 403, 404)
        else:
            location = response.get("Location", "")
            allowed = status == 302 and location.startswith(("/accounts/", "/admin/login/"))
        if not allowed:
            failures.append(f"GET {url} ({name}): {status} {response.get('Location', '')}")
    assert failures == []


def test_the_admin_has_no_password_only_sign_in_of_its_own(personas):
    response = signed_in(personas["agent"]).get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_desk_admin_reaches_the_admin_index(personas):
    response = signed_in(personas["desk_admin"]).get(reverse("admin:index"))
    assert response.status_code == 200
    assert b"Clients" in response.content
