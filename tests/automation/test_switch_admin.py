"""The kill switch in the Django admin: a desk admin turns automation on and off for their
own clients' categories only, and every change is audited and kept in the history."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from profiledesk.automation.models import AutomationSwitch
from profiledesk.automation.services import switch_set
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_a_desk_admin_switches_their_clients_category_on_and_off_audited(personas, northwind):
    admin = personas["desk_admin"]
    http = signed_in(admin)
    response = http.post(
        reverse("admin:automation_automationswitch_add"),
        {"client": northwind.pk, "category": "preferences", "enabled": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    switch = AutomationSwitch.objects.get(client=northwind, category="preferences")
    assert switch.enabled and switch.changed_by == admin
    response = http.post(reverse("admin:automation_automationswitch_change", args=[switch.pk]), {})
    assert response.status_code == 302
    switch.refresh_from_db()
    assert not switch.enabled
    actions = list(
        AuditEvent.objects.filter(action__startswith="automation.")
        .order_by("id")
        .values_list("action", "actor", "data")
    )
    assert actions == [
        ("automation.switched_on", admin.pk, {"category": "preferences"}),
        ("automation.switched_off", admin.pk, {"category": "preferences"}),
    ]
    assert switch.history.count() == 2


def test_another_clients_switch_is_out_of_reach(personas, solaris):
    theirs = switch_set(client=solaris, category="preferences", enabled=True, by=None)
    http = signed_in(personas["desk_admin"])
    url = reverse("admin:automation_automationswitch_change", args=[theirs.pk])
    assert http.post(url, {}).status_code in (302, 403, 404)
    theirs.refresh_from_db()
    assert theirs.enabled
    response = http.post(
        reverse("admin:automation_automationswitch_add"),
        {"client": solaris.pk, "category": "billing", "enabled": "on"},
    )
    assert response.status_code == 200  # the form refuses the choice
    assert not AutomationSwitch.objects.filter(client=solaris, category="billing").exists()


def test_an_agent_cannot_reach_the_switch(personas):
    http = signed_in(personas["agent"])
    response = http.get(reverse("admin:automation_automationswitch_changelist"))
    assert response.status_code in (302, 403)
