"""The provider account in the admin (secrets write-only, sealed at rest, audited, the desk
admin's own clients only) and the method in verification's registry."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse

from audit.models import AuditEvent
from profiledesk.idv.models import ProviderAccount
from tests.conftest import signed_in
from verification.methods import Factor, level_of, method
from verification.models import Attempt

from .provider import SECRET_KEY, WEBHOOK_SECRET

ADD = reverse("admin:idv_provideraccount_add")


def form(client, **overrides):
    data = {
        "client": client.pk,
        "base_url": "https://api.stripe.com",
        "secret_key": SECRET_KEY,
        "webhook_secret": WEBHOOK_SECRET,
        "is_active": "on",
    }
    return {**data, **overrides}


def all_text_in_the_database() -> str:
    with connection.cursor() as cursor:
        rows = []
        for table in ("idv_provideraccount", "audit_auditevent"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            rows += cursor.fetchall()
    return repr(rows)


def test_a_desk_admin_adds_an_account_and_the_secrets_are_sealed_and_never_shown(
    personas, northwind
):
    http = signed_in(personas["desk_admin"])
    response = http.post(ADD, form(northwind))
    assert response.status_code == 302, response.content.decode()[:2000]
    account = ProviderAccount.objects.get()
    assert account.secret_key() == SECRET_KEY and account.webhook_secret() == WEBHOOK_SECRET
    assert SECRET_KEY not in all_text_in_the_database()
    assert WEBHOOK_SECRET not in all_text_in_the_database()
    page = http.get(reverse("admin:idv_provideraccount_change", args=[account.pk])).content.decode()
    assert SECRET_KEY not in page and WEBHOOK_SECRET not in page
    event = AuditEvent.objects.get(action="idv.account_added")
    assert event.data["secret_key_changed"] and event.data["webhook_secret_changed"]


def test_an_empty_secret_on_change_keeps_the_current_one(personas, northwind):
    http = signed_in(personas["desk_admin"])
    http.post(ADD, form(northwind))
    account = ProviderAccount.objects.get()
    url = reverse("admin:idv_provideraccount_change", args=[account.pk])
    response = http.post(url, form(northwind, secret_key="", webhook_secret="", is_active=""))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.secret_key() == SECRET_KEY and not account.is_active
    assert not AuditEvent.objects.get(action="idv.account_changed").data["secret_key_changed"]


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"secret_key": ""}, "secret_key"),
        ({"webhook_secret": "not-a-whsec"}, "webhook_secret"),
        ({"secret_key": "pk_live_publishable"}, "secret_key"),
        ({"base_url": "http://api.stripe.com"}, "base_url"),
        ({"base_url": "https://user:pw@api.stripe.com"}, "base_url"),
    ],
)
def test_a_bad_account_is_a_field_error_and_a_typed_secret_is_not_echoed(
    personas, northwind, overrides, field
):
    response = signed_in(personas["desk_admin"]).post(ADD, form(northwind, **overrides))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not ProviderAccount.objects.exists()
    assert WEBHOOK_SECRET not in response.content.decode() or field == "webhook_secret"
    assert SECRET_KEY not in response.content.decode()


def test_a_desk_admin_cannot_configure_another_clients_account(personas, solaris):
    response = signed_in(personas["desk_admin"]).post(ADD, form(solaris))
    assert response.status_code == 200  # the client is not among the choices: a field error
    assert not ProviderAccount.objects.exists()


# --- the registry ----------------------------------------------------------------------


def test_the_provider_is_a_registered_method_that_reaches_al3_on_its_own():
    provider = method("provider")
    assert provider is not None
    attempt = Attempt(method="provider", result="passed", detail={"provider_session": "vs_1"})
    grant = provider.grant(attempt)
    assert grant.level == 3 and grant.factors == frozenset({Factor.DOCUMENT})
    assert level_of([grant]) == 3
    assert provider.panel_template == "idv/_wizard_section.html"


def test_the_evidence_line_names_the_providers_session_and_decision_only():
    provider = method("provider")
    passed = Attempt(
        method="provider",
        result="passed",
        detail={
            "session": 4,
            "provider_session": "vs_abc",
            "event": "evt_1",
            "decision": "verified",
        },
    )
    assert provider.evidence(passed) == "Identity provider: verified (session vs_abc)"
    declined = Attempt(
        method="provider",
        result="failed",
        detail={
            "provider_session": "vs_abc",
            "decision": "requires_input",
            "code": "selfie_face_mismatch",
        },
    )
    assert provider.evidence(declined).endswith("selfie_face_mismatch")


def test_the_panel_template_renders_from_the_methods_context(ticket, agent, account):
    # As the wizard includes a section: the method's context under `c`.
    context = method("provider").panel_context(ticket=ticket, user=agent, progress=None)
    html = render_to_string(method("provider").panel_template, {"ticket": ticket, "c": context})
    assert "Send identity check link" in html
    assert 'name="contact"' in html


def test_the_wizard_on_the_ticket_page_offers_the_providers_check(ticket, agent, account):
    page = signed_in(agent).get(reverse("tickets:detail", args=[ticket.reference]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="idv-panel"' in html and "Send identity check link" in html


def test_reseal_lets_the_old_key_go_for_the_provider_accounts_secrets(settings, northwind):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.MESSAGE_ENCRYPTION_KEY = old
    account = ProviderAccount(client=northwind)
    account.set_secret_key(SECRET_KEY)
    account.set_webhook_secret(WEBHOOK_SECRET)
    account.save()
    settings.MESSAGE_ENCRYPTION_KEY = f"{new},{old}"
    call_command("reseal_secrets", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.MESSAGE_ENCRYPTION_KEY = new
    account.refresh_from_db()
    assert account.secret_key() == SECRET_KEY and account.webhook_secret() == WEBHOOK_SECRET
