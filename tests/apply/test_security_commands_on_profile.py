"""The profile reflects the security commands an applied ticket sent (issue 14): after a
two-factor reset it no longer says "Two-factor: Authenticator app"; a password reset and
a sign-out everywhere are dated. Every command the security form offers is covered, so a
command added later without a profile fact fails here."""

import datetime as dt

import pytest
from django.urls import reverse

from profiledesk.apply.services import ticket_apply
from profiledesk.customers import models as m
from profiledesk.intake.fields import CATEGORY_FIELDS, Kind
from profiledesk.policies.categories import Category
from tests.conftest import signed_in

from .helpers import applicable

pytestmark = pytest.mark.usefixtures("clock")

# Each command → what the profile must show once it is applied (field, expected value).
COMMAND_FACTS = {
    "password_reset": "last_password_reset_at",
    "two_factor_reset": "two_factor_reset_at",
    "sign_out_everywhere": "signed_out_everywhere_at",
}


def test_every_security_command_has_a_fact_on_the_profile():
    commands = {
        spec.name for spec in CATEGORY_FIELDS[Category.SECURITY] if spec.kind == Kind.COMMAND
    }
    assert commands == set(COMMAND_FACTS)


def _with_app_two_factor(customer):
    security = customer.security
    security.two_factor_method = m.SecuritySettings.Method.APP
    security.save()
    return customer


@pytest.fixture
def applied(customer, personas):
    _with_app_two_factor(customer)
    ticket = applicable(
        customer,
        personas,
        "security",
        {"password_reset": True, "two_factor_reset": True, "sign_out_everywhere": True},
    )
    ticket.assignee = personas["agent"]
    ticket.save(update_fields=["assignee"])
    ticket_apply(ticket=ticket, by=personas["agent"])
    return ticket


def test_an_applied_two_factor_reset_leaves_the_profile_without_a_second_factor(applied, customer):
    security = m.SecuritySettings.objects.get(customer=customer)
    assert security.two_factor_method == m.SecuritySettings.Method.NONE
    for field in COMMAND_FACTS.values():
        assert getattr(security, field) is not None, field
    latest = security.history.first()
    assert latest.history_change_reason == f"{applied.reference} applied"
    assert latest.history_user.username == "agent"


def test_the_profile_page_shows_what_the_commands_did(applied, customer, personas):
    page = signed_in(personas["supervisor"]).get(reverse("customers:profile", args=[customer.pk]))
    text = page.content.decode()
    two_factor = text.split('data-testid="two-factor">')[1].split("</dd>")[0]
    assert "Authenticator app" not in two_factor
    assert "None" in two_factor and "not set up again yet" in two_factor
    today = dt.date(2026, 3, 4).isoformat()  # the clock fixture's Wednesday
    assert today in text.split('data-testid="password-reset">')[1].split("</dd>")[0]
    assert today in text.split('data-testid="signed-out">')[1].split("</dd>")[0]


def test_a_password_reset_alone_leaves_two_factor_as_it_was(customer, personas):
    _with_app_two_factor(customer)
    ticket = applicable(customer, personas, "security", {"password_reset": True})
    ticket_apply(ticket=ticket, by=personas["agent"])
    security = m.SecuritySettings.objects.get(customer=customer)
    assert security.two_factor_method == m.SecuritySettings.Method.APP
    assert security.two_factor_reset_at is None and security.signed_out_everywhere_at is None


def test_the_history_page_shows_the_reset_with_its_labels(applied, customer, personas):
    page = signed_in(personas["compliance"]).get(
        reverse("audit:customer_history", args=[customer.pk])
    )
    text = page.content.decode()
    row = text.split('data-field="two_factor_method">')[1].split("</tr>")[0]
    # Before → after as labels a reader knows, never the stored codes ("app" → "none").
    assert "Two-factor method" in row and "Authenticator app" in row and "None" in row
    assert ">app<" not in row and ">none<" not in row
