"""The Django admin respects tenancy (issue 12): Northwind's desk admin reaches nothing of
Solaris through any admin URL, and cannot raise anyone's access (their own included).

The matrix walks every URL of every ModelAdmin in `admin.site._registry` (list, add,
change, delete, history, simple-history's version pages, the password page, each action
posted to the list, autocomplete) against one Solaris object of each model: 403/404 or a
page without any Solaris object, and every Solaris object unchanged afterwards.
"""

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin
from django.contrib.admin.sites import AdminSite
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from audit.services import audit_record
from profiledesk.accounts.models import StaffSession, User
from profiledesk.accounts.roles import Role
from profiledesk.api.keys import api_key_create
from profiledesk.api.models import ApiKey
from profiledesk.assertions.models import AppKey, LevelPolicy
from profiledesk.assertions.services import app_key_register, level_policy_save
from profiledesk.automation.models import AutomationSwitch
from profiledesk.automation.services import switch_set
from profiledesk.clients.admin_scoping import ClientScopedAdmin, ClientScopedInline
from profiledesk.clients.models import Client, Membership
from profiledesk.connectors.models import Connector, Delivery
from profiledesk.idv.models import IdentitySession, ProviderAccount
from profiledesk.messaging.models import Message
from profiledesk.policies.defaults import policies_ensure_defaults
from profiledesk.policies.models import BusinessHours, Holiday, Policy
from tests.assertions.keys import private_key, public_pem
from tests.conftest import make_staff, signed_in
from tests.connectors.helpers import connector_for, delivery_for
from tests.factories import ClientFactory, MembershipFactory, TicketFactory, complete_customer

# Admins that may stay unscoped, each with the reason. Empty: every admin is scoped.
SUPERUSER_ONLY: dict[type, str] = {}

# Models the same for every client (no Solaris copy exists): tested on their own below.
GLOBAL_MODELS = {Group: "roles are code (roles.py), read-only for desk admins"}

# Whatever names Solaris or its only agent must never be on a Northwind admin's page.
MARKERS = ("solaris", "outsider")


def unscoped_admins(site: AdminSite) -> list[str]:
    """Registered admins (and their inlines) that do not derive from the mixins."""
    missing = []
    for model, model_admin in site._registry.items():
        if not isinstance(model_admin, ClientScopedAdmin) and model not in SUPERUSER_ONLY:
            missing.append(model._meta.label)
        for inline in model_admin.inlines:
            if not issubclass(inline, ClientScopedInline):
                missing.append(f"{model._meta.label} inline {inline.__name__}")
    return missing


def test_every_registered_admin_and_inline_is_scoped():
    assert unscoped_admins(admin.site) == [], (
        "derive these from ClientScopedAdmin / StaffScopedAdmin / ClientScopedInline "
        "(profiledesk/clients/admin_scoping.py), or list them in SUPERUSER_ONLY with a reason"
    )


def test_an_admin_without_the_mixin_is_caught():
    site = AdminSite(name="scratch")
    site.register(Holiday, admin.ModelAdmin)
    assert unscoped_admins(site) == ["policies.Holiday"]


# --- one Solaris object of every registered model ----------------------------------------


def one_of_each(client, staff) -> dict:
    """One object of every registered model (but the global ones) for `client`, with
    `staff` (a member of that client only) as the staff member they are about."""
    slug = client.slug
    policies_ensure_defaults(client=client)
    customer = complete_customer(client, legal_name=f"{client.name} Customer")
    ticket = TicketFactory(customer=customer)
    delivery = delivery_for(ticket)
    now = timezone.now()
    message = Message.objects.create(
        client=client,
        ticket=ticket,
        customer=customer,
        channel="email",
        recipient=f"someone@{slug}.example",
        template="otp",
        language="en",
        text_redacted=f"{client.name} message",
        idempotency_key=f"{slug}-message-1",
        due_at=now,
        created_at=now,
    )
    api_key, _raw = api_key_create(client=client, name=f"{client.name} app", by=None)
    app_key = app_key_register(
        client=client,
        issuer=f"https://app.{slug}.example",
        kid=f"{slug}-k1",
        algorithm="ES256",
        public_key=public_pem(private_key("ES256")),
        by=None,
    )
    sign_in = {"username": staff.username, "user_agent": "ua", "http_accept": "*/*"}
    objects = {
        Client: client,
        Membership: staff.memberships.get(client=client),
        User: staff,
        StaffSession: StaffSession.objects.create(
            user=staff, session_key=f"{slug}-session", started_at=now, last_seen_at=now
        ),
        staff.totpdevice_set.model: staff.totpdevice_set.get(),
        Policy: client.policies.first(),
        BusinessHours: BusinessHours.objects.filter(client=client).first(),
        Holiday: Holiday.objects.create(client=client, date=dt.date(2026, 6, 24), name="Midsummer"),
        ApiKey: api_key,
        AppKey: app_key,
        LevelPolicy: level_policy_save(client=client, levels={"pwd": 1}, by=None),
        Message: message,
        Connector: connector_for(client, url=f"https://crm.{slug}.example/hook", name="CRM 2"),
        Delivery: delivery,
        AuditEvent: audit_record(action=f"{slug}.configured", client=client, target=client),
        AccessAttempt: AccessAttempt.objects.create(
            **sign_in, path_info="/", get_data="", post_data="", failures_since_start=3
        ),
        AccessLog: AccessLog.objects.create(**sign_in, path_info="/"),
        AccessFailureLog: AccessFailureLog.objects.create(**sign_in, path_info="/"),
        AutomationSwitch: switch_set(client=client, category="preferences", enabled=True, by=None),
        ProviderAccount: _provider_account(client),
        IdentitySession: IdentitySession.objects.create(
            client=client,
            ticket=ticket,
            customer=customer,
            status="sent",
            provider_id=f"vs_{slug}",
            contact_key="email:1",
            contact_masked="s•••@example.com",
            created_at=now,
            updated_at=now,
        ),
    }
    assert all(obj is not None for obj in objects.values())
    return objects


def _provider_account(client) -> ProviderAccount:
    account = ProviderAccount(client=client)
    account.set_secret_key("sk_test_tenancy")
    account.set_webhook_secret("whsec_tenancy")
    account.save()
    return account


@pytest.fixture
def solaris_objects(personas, solaris):
    return one_of_each(solaris, personas["outsider"])


def test_the_matrix_has_a_solaris_object_of_every_registered_model(solaris_objects):
    registered = set(admin.site._registry) - set(GLOBAL_MODELS)
    assert registered - set(solaris_objects) == set(), "add a Solaris object of the new model"


def _row(obj) -> dict:
    row = type(obj)._default_manager.get(pk=obj.pk)
    values = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}
    for m2m in row._meta.many_to_many:
        values[m2m.name] = sorted(getattr(row, m2m.name).values_list("pk", flat=True))
    return values


def _world(objects, solaris, desk_admin) -> dict:
    """Every Solaris object as stored, and what could be added to Solaris."""
    return {
        "objects": {model._meta.label: _row(obj) for model, obj in objects.items()},
        "solaris members": sorted(
            Membership.objects.filter(client=solaris).values_list("user_id", flat=True)
        ),
        "solaris connectors": Connector.objects.filter(client=solaris).count(),
        "solaris holidays": Holiday.objects.filter(client=solaris).count(),
        "solaris hours": BusinessHours.objects.filter(client=solaris).count(),
        "desk admin": _row(desk_admin),
        "desk admin clients": sorted(desk_admin.memberships.values_list("client_id", flat=True)),
        "clients": Client.objects.count(),
        "staff": User.objects.count(),
    }


def _shows_solaris(response) -> list[str]:
    if getattr(response, "streaming", False):
        return []
    text = response.content.decode(errors="replace").lower()
    return [marker for marker in MARKERS if marker in text]


def _url_args(pattern, pk, history_id):
    """Arguments for a model admin's URL pattern: the object id, then a version id."""
    names = list(getattr(pattern.pattern, "converters", {})) or list(
        pattern.pattern.regex.groupindex
    )
    if names:
        return [], dict.fromkeys(names, pk)
    positional = pattern.pattern.regex.groups
    return [pk, history_id][:positional], {}


def _crafted_post(http, url, solaris_objects) -> dict:
    """The add form posted with every choice set to a Solaris object."""
    page = http.get(url)
    if page.status_code != 200:
        return {}
    data = {}
    for name, field in page.context["adminform"].form.fields.items():
        theirs = solaris_objects.get(getattr(field, "queryset", None) and field.queryset.model)
        if theirs is None:
            continue
        multiple = isinstance(field, forms.ModelMultipleChoiceField)
        data[name] = [theirs.pk] if multiple else theirs.pk
    return data


def test_every_admin_url_keeps_northwinds_desk_admin_out_of_solaris(
    personas, solaris, solaris_objects
):
    desk_admin = personas["desk_admin"]
    http = signed_in(desk_admin)
    before = _world(solaris_objects, solaris, desk_admin)
    failures = []
    hits = 0

    def check(method, url, response, allowed):
        nonlocal hits
        hits += 1
        status = response.status_code
        if status not in allowed:
            failures.append(f"{method} {url}: {status}, expected one of {allowed}")
        shown = _shows_solaris(response)
        if shown:
            failures.append(f"{method} {url}: the page shows {shown}")

    for model, model_admin in admin.site._registry.items():
        if model in GLOBAL_MODELS:
            continue
        obj = solaris_objects[model]
        # A version of this very object (a historical row's own pk is its history_id).
        history = getattr(obj, "history", None)
        history_id = history.latest().history_id if history is not None else 1
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        for pattern in model_admin.get_urls():
            if pattern.name is None:
                continue
            args, kwargs = _url_args(pattern, obj.pk, history_id)
            url = reverse(f"admin:{pattern.name}", args=args, kwargs=kwargs)
            if pattern.name.endswith("_changelist"):
                # 403: a list the desk admin role has no permission for at all.
                check("GET", url, http.get(url), {200, 403})
                for query in (
                    {"q": "sol"},
                    {"client__id__exact": solaris.pk},
                    {"_to_field": "id", "_popup": "1"},
                ):
                    check("GET", f"{url}?{query}", http.get(url, query), {200, 302, 403})
                for _func, action, _desc in model_admin._get_base_actions():
                    data = {"action": action, "_selected_action": [obj.pk], "post": "yes"}
                    check(f"POST {action}", url, http.post(url, data), {200, 302, 403})
            elif pattern.name.endswith("_add"):
                check("GET", url, http.get(url), {200, 403})
                check(
                    "POST",
                    url,
                    http.post(url, _crafted_post(http, url, solaris_objects)),
                    {200, 403},
                )
            else:
                check("GET", url, http.get(url), {403, 404})
                data = {"post": "yes", "name": "pwned", "client": personas["desk_admin"].pk}
                check("POST", url, http.post(url, data), {403, 404})
        # The bare "<id>/" URL redirects to the change page.
        url = reverse(f"{info}_changelist") + f"{obj.pk}/"
        check("GET", url, http.get(url, follow=True), {403, 404})
        for field in model_admin.autocomplete_fields:
            query = {
                "app_label": model._meta.app_label,
                "model_name": model._meta.model_name,
                "field_name": field,
                "term": "",
            }
            response = http.get(reverse("admin:autocomplete"), query)
            check("GET", f"autocomplete {query}", response, {200})
            remote = model._meta.get_field(field).remote_field.model
            ids = [row["id"] for row in response.json()["results"]]
            if str(solaris_objects[remote].pk) in ids:
                failures.append(f"autocomplete {query} offers Solaris's {remote.__name__}")

    # The pages of no one model: the index (recent actions) and each app's index.
    labels = {model._meta.app_label for model in admin.site._registry}
    for url in [reverse("admin:index")] + [
        reverse("admin:app_list", args=[label]) for label in sorted(labels)
    ]:
        check("GET", url, http.get(url), {200})

    assert failures == [], "\n".join(failures)
    assert hits > 200  # every admin, every URL: the walk really ran
    assert _world(solaris_objects, solaris, desk_admin) == before


def test_a_refused_reach_is_recorded(personas, solaris_objects):
    connector = solaris_objects[Connector]
    http = signed_in(personas["desk_admin"])
    http.get(reverse("admin:connectors_connector_change", args=[connector.pk]))
    event = AuditEvent.objects.get(action="access.denied", data__reason="another client's object")
    assert event.actor == personas["desk_admin"]
    assert (event.target_type, event.target_id) == ("connectors.connector", str(connector.pk))


def test_an_unknown_id_and_another_clients_id_look_the_same(personas, solaris_objects):
    http = signed_in(personas["desk_admin"])
    theirs = http.get(reverse("admin:api_apikey_change", args=[solaris_objects[ApiKey].pk]))
    missing = http.get(reverse("admin:api_apikey_change", args=[999999]))
    assert theirs.status_code == missing.status_code == 404

    def page(response):  # the CSRF token is masked afresh on every page
        return re.sub(
            rb'(X-CSRFToken": "|name="csrfmiddlewaretoken" value="|data-csrf=")[^"]+',
            b"",
            response.content,
        )

    assert page(theirs) == page(missing)


# --- choices, crafted posts --------------------------------------------------------------


def _form(http, url):
    response = http.get(url)
    assert response.status_code == 200
    return response.context["adminform"].form


@pytest.mark.parametrize(
    "url_name", ["connectors_connector_add", "clients_membership_add", "policies_holiday_add"]
)
def test_client_choices_are_only_the_admins_clients(personas, northwind, solaris, url_name):
    form = _form(signed_in(personas["desk_admin"]), reverse(f"admin:{url_name}"))
    assert list(form.fields["client"].queryset) == [northwind]


def test_staff_choices_are_only_staff_sharing_a_client(personas):
    form = _form(signed_in(personas["desk_admin"]), reverse("admin:clients_membership_add"))
    offered = set(form.fields["user"].queryset)
    assert personas["outsider"] not in offered
    assert personas["agent"] in offered


def test_moving_a_connector_to_another_client_is_a_form_error(personas, northwind, solaris):
    connector = connector_for(northwind, url="https://crm.northwind.example/hook")
    http = signed_in(personas["desk_admin"])
    response = http.post(
        reverse("admin:connectors_connector_change", args=[connector.pk]),
        {
            "client": solaris.pk,
            "name": connector.name,
            "kind": connector.kind,
            "url": "https://evil.example/steal",
            "categories": ["contact"],
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["client"] == ["Choose one of the clients you administer."]
    connector.refresh_from_db()
    assert (connector.client, connector.url) == (northwind, "https://crm.northwind.example/hook")
    refused = AuditEvent.objects.get(action="access.denied")
    assert refused.data["model"] == "clients.client" and refused.data["ids"] == [str(solaris.pk)]


def test_a_save_that_ends_in_another_client_is_rolled_back(
    personas, northwind, solaris, monkeypatch
):
    """The last line, for an admin class that would move an object itself."""
    connector = connector_for(northwind, url="https://crm.northwind.example/hook")
    connector_admin = admin.site._registry[Connector]
    careless = connector_admin.save_model

    def save_model(request, obj, form, change):
        obj.client = solaris
        careless(request, obj, form, change)

    monkeypatch.setattr(connector_admin, "save_model", save_model)
    response = signed_in(personas["desk_admin"]).post(
        reverse("admin:connectors_connector_change", args=[connector.pk]),
        {
            "client": northwind.pk,
            "name": "Renamed",
            "kind": connector.kind,
            "url": connector.url,
            "categories": ["contact"],
            "is_active": "on",
        },
    )
    assert response.status_code == 403
    stored = Connector.objects.get(pk=connector.pk)
    assert (stored.client, stored.name) == (northwind, connector.name)
    assert not AuditEvent.objects.filter(action="connectors.connector_changed").exists()


def test_a_holiday_cannot_be_added_to_another_client(personas, solaris):
    http = signed_in(personas["desk_admin"])
    response = http.post(
        reverse("admin:policies_holiday_add"),
        {"client": solaris.pk, "date": "2026-12-25", "name": "Planted"},
    )
    assert response.status_code == 200
    assert "client" in response.context["adminform"].form.errors
    assert not Holiday.objects.filter(client=solaris).exists()


@pytest.mark.parametrize("whom", ["desk_admin", "agent"])
def test_no_membership_in_another_client_for_oneself_or_anyone(personas, solaris, whom):
    http = signed_in(personas["desk_admin"])
    response = http.post(
        reverse("admin:clients_membership_add"),
        {"user": personas[whom].pk, "client": solaris.pk},
    )
    assert response.status_code == 200
    assert "client" in response.context["adminform"].form.errors
    assert not Membership.objects.filter(client=solaris, user=personas[whom]).exists()


def test_no_membership_through_another_clients_page(personas, solaris):
    http = signed_in(personas["desk_admin"])
    response = http.post(
        reverse("admin:clients_client_change", args=[solaris.pk]),
        {
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-user": personas["desk_admin"].pk,
        },
    )
    assert response.status_code == 404
    assert not personas["desk_admin"].memberships.filter(client=solaris).exists()


def test_no_membership_for_another_clients_staff_through_ones_own_client(
    personas, northwind, solaris
):
    http = signed_in(personas["desk_admin"])
    url = reverse("admin:clients_client_change", args=[northwind.pk])
    data = _client_change_data(http, url)
    data.update(
        {
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-user": personas["outsider"].pk,
            "memberships-0-client": northwind.pk,
        }
    )
    response = http.post(url, data)
    assert response.status_code == 200
    assert not personas["outsider"].memberships.filter(client=northwind).exists()


def _client_change_data(http, url) -> dict:
    """The client change form as a browser would post it, inlines included."""
    page = http.get(url)
    data = {}
    form = page.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value not in (None, False):
            data[name] = "on" if value is True else value
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        prefix = formset.prefix
        data[f"{prefix}-TOTAL_FORMS"] = str(formset.initial_form_count())
        data[f"{prefix}-INITIAL_FORMS"] = str(formset.initial_form_count())
        for i, sub in enumerate(formset.initial_forms):
            for name in sub.fields:
                value = sub.initial.get(name)
                if value is not None:
                    data[f"{prefix}-{i}-{name}"] = getattr(value, "pk", value)
    return data


def test_a_client_added_by_a_desk_admin_is_theirs_to_administer(personas):
    http = signed_in(personas["desk_admin"])
    response = http.post(
        reverse("admin:clients_client_add"),
        {
            "name": "Acme Water",
            "slug": "acme",
            "customer_prefix": "ACW",
            "country": "GB",
            "time_zone": "Europe/London",
            "brand_colour": "#1f4e79",
            "is_active": "on",
            **_empty_inlines(http, reverse("admin:clients_client_add")),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    acme = Client.objects.get(slug="acme")
    assert personas["desk_admin"].memberships.filter(client=acme).exists()
    assert AuditEvent.objects.filter(action="staff.membership_added", client=acme).exists()


def _empty_inlines(http, url) -> dict:
    page = http.get(url)
    data = {}
    for inline in page.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data[f"{prefix}-TOTAL_FORMS"] = "0"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
    return data


# --- staff: no escalation -----------------------------------------------------------------


def _user_change_data(user, **extra) -> dict:
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
        **extra,
    }


def test_the_staff_form_offers_no_flags_or_raw_permissions(personas):
    http = signed_in(personas["desk_admin"])
    for user in (personas["agent"], personas["desk_admin"]):
        page = http.get(reverse("admin:accounts_user_change", args=[user.pk]))
        assert page.status_code == 200
        fields = page.context["adminform"].form.fields
        assert {"is_superuser", "is_staff", "user_permissions"} & set(fields) == set()
    # Roles: only the desk's, and never one's own.
    agent_form = http.get(reverse("admin:accounts_user_change", args=[personas["agent"].pk]))
    groups = agent_form.context["adminform"].form.fields["groups"].queryset
    assert {g.name for g in groups} == {role.value for role in Role}
    own = http.get(reverse("admin:accounts_user_change", args=[personas["desk_admin"].pk]))
    assert "groups" not in own.context["adminform"].form.fields


ESCALATIONS = st.fixed_dictionaries(
    {},
    optional={
        "is_superuser": st.sampled_from(["on", "true", "1"]),
        "is_staff": st.sampled_from(["on", "true", "1"]),
        "user_permissions": st.just("all"),
        "groups": st.just("desk_admin"),
    },
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(crafted=ESCALATIONS, target=st.sampled_from(["desk_admin", "agent"]))
def test_a_crafted_escalation_post_changes_nothing(personas, crafted, target):
    user = personas[target]
    before = (
        user.is_superuser,
        user.is_staff,
        set(user.groups.all()),
        user.user_permissions.count(),
    )
    data = dict(crafted)
    if data.get("user_permissions") == "all":
        data["user_permissions"] = list(Permission.objects.values_list("pk", flat=True)[:50])
    if "groups" in data:
        data["groups"] = [Group.objects.get(name=Role.DESK_ADMIN).pk]
    if target == "agent" and "groups" not in data:
        data["groups"] = list(user.groups.values_list("pk", flat=True))
    response = signed_in(personas["desk_admin"]).post(
        reverse("admin:accounts_user_change", args=[user.pk]), _user_change_data(user, **data)
    )
    assert response.status_code in (200, 302)
    user = User.objects.get(pk=user.pk)
    after = (
        user.is_superuser,
        user.is_staff,
        set(user.groups.all()),
        user.user_permissions.count(),
    )
    if target == "agent" and "groups" in crafted:
        # Giving an agent of one's own client a desk role is allowed; flags are not.
        assert (*after[:2], after[3]) == (*before[:2], before[3])
    else:
        assert after == before
    crafted_fields = {"is_superuser", "is_staff", "user_permissions"} & set(crafted)
    if target == "desk_admin" and "groups" in crafted:
        crafted_fields.add("groups")
    recorded = AuditEvent.objects.filter(action="staff.escalation_refused").order_by("-id")
    if crafted_fields:
        assert set(recorded.first().data["fields"]) == crafted_fields


def test_superuser_status_cannot_be_ticked_on_oneself(personas):
    """The reported attack: 302 and accepted before; now ignored and recorded."""
    me = personas["desk_admin"]
    http = signed_in(me)
    http.post(
        reverse("admin:accounts_user_change", args=[me.pk]),
        _user_change_data(me, is_superuser="on", is_staff="on"),
    )
    me.refresh_from_db()
    assert me.is_superuser is False
    event = AuditEvent.objects.get(action="staff.escalation_refused")
    assert event.data["fields"] == ["is_superuser", "is_staff"]


def test_the_add_form_never_makes_a_superuser_and_needs_one_of_ones_clients(
    personas, northwind, solaris
):
    http = signed_in(personas["desk_admin"])
    url = reverse("admin:accounts_user_add")
    form = _form(http, url)
    assert "is_superuser" not in form.fields
    assert list(form.fields["clients"].queryset) == [northwind]
    base = {"username": "newbie", "usable_password": "false", "is_superuser": "on"}
    refused = http.post(url, {**base, "clients": [solaris.pk]})
    assert refused.status_code == 200
    assert "clients" in refused.context["adminform"].form.errors
    assert not User.objects.filter(username="newbie").exists()
    added = http.post(url, {**base, "clients": [northwind.pk]})
    assert added.status_code == 302
    newbie = User.objects.get(username="newbie")
    assert (newbie.is_superuser, newbie.is_staff) == (False, False)
    assert list(newbie.memberships.values_list("client", flat=True)) == [northwind.pk]
    assert AuditEvent.objects.filter(action="staff.membership_added", client=northwind).exists()


# --- staff who also work for another client: read-only --------------------------------------


@pytest.fixture
def shared(northwind, solaris):
    """A supervisor of both clients: seen by Northwind's desk admin, but not theirs to
    change (a new password or authenticator would let them work in Solaris as them)."""
    user = make_staff("shared", Role.SUPERVISOR, northwind, solaris)
    now = timezone.now()
    StaffSession.objects.create(
        user=user, session_key="shared-session", started_at=now, last_seen_at=now
    )
    return user


def test_a_shared_staff_member_is_listed_but_read_only(personas, shared):
    http = signed_in(personas["desk_admin"])
    listing = http.get(reverse("admin:accounts_user_changelist"))
    assert shared in listing.context["cl"].result_list
    page = http.get(reverse("admin:accounts_user_change", args=[shared.pk]))
    # The password hash's read-only widget is all the form holds: nothing to post.
    assert page.status_code == 200
    assert set(page.context["adminform"].form.fields) <= {"password"}
    assert page.context["has_change_permission"] is False
    before = _row(shared)
    post = http.post(
        reverse("admin:accounts_user_change", args=[shared.pk]),
        _user_change_data(shared, first_name="Renamed"),
    )
    password = http.post(
        reverse("admin:auth_user_password_change", args=[shared.pk]),
        {"password1": "A-new-long-Passphrase-91", "password2": "A-new-long-Passphrase-91"},
    )
    device = shared.totpdevice_set.get()
    totp = http.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert (post.status_code, password.status_code, totp.status_code) == (403, 403, 403)
    assert _row(shared) == before
    assert shared.totpdevice_set.exists()


def test_actions_skip_what_the_admin_may_not_change(personas, shared):
    http = signed_in(personas["desk_admin"])
    response = http.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "end_all_sessions", "_selected_action": [shared.pk]},
    )
    assert response.status_code == 302
    assert StaffSession.objects.filter(user=shared).exists()
    refused = AuditEvent.objects.get(action="access.denied")
    assert refused.data["ids"] == [str(shared.pk)]


def test_a_shared_staff_members_sessions_and_sign_in_records_are_read_only(personas, shared):
    http = signed_in(personas["desk_admin"])
    session = StaffSession.objects.get(user=shared)
    assert (
        http.get(reverse("admin:accounts_staffsession_change", args=[session.pk])).status_code
        == 200
    )
    response = http.post(
        reverse("admin:accounts_staffsession_delete", args=[session.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert StaffSession.objects.filter(pk=session.pk).exists()


# --- history, revert, roles, audit events, sign-in records ----------------------------------


def test_reverting_a_version_is_not_offered_to_desk_admins(personas, northwind):
    policies_ensure_defaults(client=northwind)
    hours = BusinessHours.objects.filter(client=northwind).first()
    version = hours.history.latest()
    http = signed_in(personas["desk_admin"])
    url = reverse(
        "admin:policies_businesshours_simple_history", args=[hours.pk, version.history_id]
    )
    assert http.get(url).status_code == 200
    before = _row(hours)
    response = http.post(url, {"client": northwind.pk, "weekday": 6, "opens": "00:00"})
    assert response.status_code == 403
    assert _row(hours) == before


def test_roles_are_read_only_and_only_the_desks(personas):
    extra = Group.objects.create(name="platform-ops")
    http = signed_in(personas["desk_admin"])
    listing = http.get(reverse("admin:auth_group_changelist"))
    assert extra not in listing.context["cl"].result_list
    assert http.get(reverse("admin:auth_group_change", args=[extra.pk])).status_code == 404
    desk_admin_role = Group.objects.get(name=Role.DESK_ADMIN)
    perms = set(desk_admin_role.permissions.all())
    response = http.post(
        reverse("admin:auth_group_change", args=[desk_admin_role.pk]),
        {
            "name": "desk_admin",
            "permissions": list(Permission.objects.values_list("pk", flat=True)),
        },
    )
    assert response.status_code == 403
    assert set(desk_admin_role.permissions.all()) == perms


def test_audit_events_of_another_client_or_its_staff_are_not_listed(personas, northwind, solaris):
    mine = audit_record(action="policy.changed", client=northwind, target=northwind)
    theirs = audit_record(action="policy.changed", client=solaris, target=solaris)
    their_sign_in = audit_record(action="auth.login", actor=personas["outsider"])
    my_agent_sign_in = audit_record(action="auth.login", actor=personas["agent"])
    listing = signed_in(personas["desk_admin"]).get(reverse("admin:audit_auditevent_changelist"))
    shown = set(listing.context["cl"].result_list)
    assert {mine, my_agent_sign_in} <= shown
    assert {theirs, their_sign_in} & shown == set()


def test_clearing_every_expired_sign_in_attempt_is_for_superusers(personas):
    http = signed_in(personas["desk_admin"])
    listing = http.get(reverse("admin:axes_accessattempt_changelist"))
    actions = [name for name, _label in listing.context["action_form"].fields["action"].choices]
    assert "cleanup_expired_attempts" not in actions


def test_filters_list_only_the_admins_clients(personas, northwind, solaris):
    second = ClientFactory(slug="second", name="Second Client")
    MembershipFactory(user=personas["desk_admin"], client=second)
    listing = signed_in(personas["desk_admin"]).get(
        reverse("admin:connectors_connector_changelist")
    )
    [client_filter] = [f for f in listing.context["cl"].filter_specs if f.field_path == "client"]
    assert {name for _pk, name in client_filter.lookup_choices} == {northwind.name, second.name}


# --- what the admin is for still works ------------------------------------------------------


def _pages_of(http, objects, *, may_view) -> list[str]:
    """The list (with the object on it), change and history pages of every object."""
    failures = []
    for model, obj in objects.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        listing = http.get(reverse(f"{info}_changelist"))
        if not may_view(model):
            if listing.status_code != 403:
                failures.append(f"{info} list: {listing.status_code}, expected 403")
            continue
        change_url = reverse(f"{info}_change", args=[obj.pk])
        if listing.status_code != 200 or change_url not in listing.content.decode():
            failures.append(f"{info} list: {listing.status_code}, object listed: no")
        for url in (change_url, reverse(f"{info}_history", args=[obj.pk])):
            if (status := http.get(url).status_code) != 200:
                failures.append(f"GET {url}: {status}")
    return failures


def test_a_desk_admin_still_reaches_every_object_of_their_own_client(personas, northwind):
    desk_admin = personas["desk_admin"]
    objects = one_of_each(northwind, personas["agent"])

    def may_view(model):
        opts = model._meta
        return any(
            desk_admin.has_perm(f"{opts.app_label}.{a}_{opts.model_name}")
            for a in ("view", "change")
        )

    assert _pages_of(signed_in(desk_admin), objects, may_view=may_view) == []


def test_a_superuser_reaches_every_clients_objects(personas, northwind, solaris_objects):
    root = make_staff("root", Role.DESK_ADMIN, is_staff=True)
    root.is_superuser = True  # as createsuperuser would make one
    root.save(update_fields=["is_superuser"])
    http = signed_in(root)
    everything = one_of_each(northwind, personas["agent"])
    assert _pages_of(http, everything, may_view=lambda model: True) == []
    assert _pages_of(http, solaris_objects, may_view=lambda model: True) == []
    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        if model_admin.has_add_permission(_request_of(root)):
            assert http.get(reverse(f"{info}_add")).status_code == 200, info


def _request_of(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_a_superuser_still_reads_the_history_of_a_deleted_membership(personas, northwind):
    root = make_staff("root", Role.DESK_ADMIN, is_staff=True)
    root.is_superuser = True
    root.save(update_fields=["is_superuser"])
    membership = personas["agent"].memberships.get(client=northwind)
    pk = membership.pk
    membership.delete()
    url = reverse("admin:clients_membership_history", args=[pk])
    assert signed_in(root).get(url).status_code == 200
    assert signed_in(personas["desk_admin"]).get(url).status_code == 404
