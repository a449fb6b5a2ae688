"""Red team (issue 12): Northwind's desk admin crafts admin POSTs the forms never offer.

`tests/test_admin_tenancy.py` walks every admin URL with plain requests; these are the
hand-made ones: "save as new" posted to a Solaris object's change page (Django treats it
as an add and never reads the object), and inline rows on Northwind's own client page
whose ids name Solaris's rows (changed or deleted through Northwind's page).
"""

from django.contrib import admin
from django.urls import reverse

from audit.models import AuditEvent
from profiledesk.clients.models import Membership
from profiledesk.policies.models import BusinessHours, Holiday
from tests.conftest import signed_in
from tests.test_admin_tenancy import (
    GLOBAL_MODELS,
    _client_change_data,
    _crafted_post,
    _shows_solaris,
    _world,
    one_of_each,
)


def test_save_as_new_on_a_solaris_object_reads_and_writes_nothing_of_solaris(personas, solaris):
    solaris_objects = one_of_each(solaris, personas["outsider"])
    desk_admin = personas["desk_admin"]
    http = signed_in(desk_admin)
    before = _world(solaris_objects, solaris, desk_admin)
    # Refusals are audited: the audit log is the one table that grows.
    counted = [model for model in solaris_objects if model is not AuditEvent]
    counts = {model: model._default_manager.count() for model in counted}
    failures = []
    for model in admin.site._registry:
        if model in GLOBAL_MODELS:
            continue
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        data = {
            **_crafted_post(http, reverse(f"{info}_add"), solaris_objects),
            "_saveasnew": "Save as new",
            "name": "copy of theirs",
        }
        url = reverse(f"{info}_change", args=[solaris_objects[model].pk])
        response = http.post(url, data)
        if response.status_code not in (200, 403, 404):
            failures.append(f"{url}: {response.status_code}")
        if shown := _shows_solaris(response):
            failures.append(f"{url}: the page shows {shown}")
    assert failures == []
    assert _world(solaris_objects, solaris, desk_admin) == before
    assert {model: model._default_manager.count() for model in counted} == counts


def test_inline_rows_naming_solaris_ids_change_and_delete_nothing_of_solaris(
    personas, northwind, solaris
):
    solaris_objects = one_of_each(solaris, personas["outsider"])
    desk_admin = personas["desk_admin"]
    http = signed_in(desk_admin)
    before = _world(solaris_objects, solaris, desk_admin)
    url = reverse("admin:clients_client_change", args=[northwind.pk])
    theirs = {
        "memberships": solaris_objects[Membership],
        "business_hours": solaris_objects[BusinessHours],
        "holidays": solaris_objects[Holiday],
    }
    for delete in (True, False):
        data = _client_change_data(http, url)
        page = http.get(url)
        matched = 0
        for inline in page.context["inline_admin_formsets"]:
            prefix = inline.formset.prefix
            row = next((obj for key, obj in theirs.items() if prefix.startswith(key[:5])), None)
            if row is None:
                continue
            matched += 1
            # Their row put in place of the first row of ours (or as the only one).
            data[f"{prefix}-INITIAL_FORMS"] = str(max(1, inline.formset.initial_form_count()))
            data[f"{prefix}-TOTAL_FORMS"] = data[f"{prefix}-INITIAL_FORMS"]
            data[f"{prefix}-0-id"] = row.pk
            data[f"{prefix}-0-client"] = northwind.pk
            if delete:
                data[f"{prefix}-0-DELETE"] = "on"
            else:
                data.setdefault(f"{prefix}-0-name", "pwned")
                data.setdefault(f"{prefix}-0-user", desk_admin.pk)
        response = http.post(url, data)
        assert matched == 3  # the three inlines were crafted
        assert response.status_code in (200, 302, 403, 404)
        assert not _shows_solaris(response)
        assert _world(solaris_objects, solaris, desk_admin) == before


def test_autocomplete_through_any_relation_offers_nothing_of_solaris(personas, solaris):
    """Django's autocomplete view answers for any relation of a registered model whose
    target's admin has search fields, declared in autocomplete_fields or not."""
    solaris_objects = one_of_each(solaris, personas["outsider"])
    http = signed_in(personas["desk_admin"])
    theirs = {(type(obj), str(obj.pk)) for obj in solaris_objects.values()}
    answered = 0
    for model in admin.site._registry:
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete and field.remote_field):
                continue
            query = {
                "app_label": model._meta.app_label,
                "model_name": model._meta.model_name,
                "field_name": field.name,
                "term": "",
            }
            response = http.get(reverse("admin:autocomplete"), query)
            assert response.status_code in (200, 403, 404), query
            if response.status_code != 200:
                continue
            answered += 1
            remote = field.remote_field.model
            offered = {(remote, row["id"]) for row in response.json()["results"]}
            assert not offered & theirs, query
            assert not _shows_solaris(response), query
    assert answered >= 10  # users, clients, memberships behind many relations
