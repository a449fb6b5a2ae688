"""An adversarial pass over straight-through processing (issue 18), as a fraudster with a
client's API key, a stolen app signing key, or a desk admin of another client would
attack it. Each test is a hole that was open, or an attack that held."""

import pytest
from django.core.exceptions import ValidationError

from profiledesk.automation.models import AutomationSwitch
from profiledesk.automation.services import straight_through_try, switch_set
from profiledesk.tickets.models import State
from tests.conftest import signed_in

from .conftest import api_request, evidence

pytestmark = pytest.mark.django_db

PASSWORD_RESET = {"password_reset": True, "sign_out_everywhere": True}
CARD = {"card_number": "4242424242424242", "card_exp_month": 12, "card_exp_year": 2099}


# --- a machine never applies a credential or payment change -----------------------------


@pytest.mark.parametrize("category", ["security", "billing", "organisation", "linked_accounts"])
def test_automation_cannot_be_switched_on_for_sensitive_categories(northwind, category):
    with pytest.raises(ValidationError):
        switch_set(client=northwind, category=category, enabled=True, by=None)
    assert not AutomationSwitch.objects.filter(client=northwind, enabled=True).exists()


def test_switching_a_sensitive_category_off_is_always_allowed(northwind):
    switch = switch_set(client=northwind, category="security", enabled=False, by=None)
    assert switch.enabled is False


def test_a_password_reset_is_never_applied_automatically_even_if_switched_on_in_the_db(
    api, customer, northwind
):
    # A switch row written around the service (a data migration, a shell, an old row).
    AutomationSwitch.objects.create(client=northwind, category="security", enabled=True)
    ticket = api_request(api, customer, category="security", changes=PASSWORD_RESET)
    outcome = straight_through_try(ticket_id=ticket.pk, attempt_id=evidence(ticket).pk)
    assert outcome is not None and not outcome.applied
    assert "always need a person" in outcome.reason
    ticket.refresh_from_db()
    assert ticket.state == State.NEW


def test_the_admin_form_refuses_switching_security_on(personas, northwind):
    response = signed_in(personas["desk_admin"]).post(
        "/admin/automation/automationswitch/add/",
        {"client": northwind.pk, "category": "security", "enabled": "on"},
    )
    assert response.status_code == 200  # the form again, with the reason
    assert b"always need a person" in response.content
    assert not AutomationSwitch.objects.filter(client=northwind, enabled=True).exists()
