"""ticket_apply: every category lands on the profile as intake captured it, with the
staff member and the ticket reference on each history row, and the ticket is applied."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from profiledesk.apply import services
from profiledesk.apply.services import ticket_apply
from profiledesk.customers import models as m
from profiledesk.tickets.models import State, TicketEvent
from profiledesk.tickets.services import ticket_take_over
from profiledesk.tickets.states import allowed_moves
from tests.approvals.helpers import second
from tests.factories import EmailAddressFactory

from .helpers import applicable

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def events(monkeypatch):
    """The events handed to the connectors' outbox, whether or not the app is there."""
    sent: list[dict] = []

    def record(*, ticket, event):
        sent.append(event)
        return []

    monkeypatch.setattr(services, "_deliveries_create", record)
    return sent


def history_reasons(rows):
    return {(row.history_user.username, row.history_change_reason) for row in rows}


def test_a_new_email_replaces_the_primary_and_the_old_one_is_demoted(customer, personas, events):
    old = customer.emails.get(is_primary=True)
    ticket = applicable(
        customer,
        personas,
        "contact",
        {"email": "grace@navy.example", "email_make_primary": True},
    )
    assert ticket.state == State.READY  # a contact change needs no approval
    ticket_apply(ticket=ticket, by=personas["agent"])

    ticket.refresh_from_db()
    assert ticket.state == State.APPLIED
    primary = customer.emails.get(is_primary=True)
    assert primary.email == "grace@navy.example"
    assert primary.verified_at is not None  # proven by its own code during verification
    old.refresh_from_db()
    assert old.is_primary is False
    reason = f"{ticket.reference} applied"
    assert history_reasons(primary.history.all()) == {("agent", reason)}
    assert history_reasons(old.history.filter(history_change_reason=reason)) == {("agent", reason)}
    transition = TicketEvent.objects.get(ticket=ticket, to_state=State.APPLIED)
    assert transition.actor == personas["agent"]
    assert AuditEvent.objects.filter(action="ticket.applied").count() == 1

    [event] = events
    assert event["type"] == "profile.changed"
    assert (event["client"], event["customer"], event["ticket"], event["category"]) == (
        "northwind",
        customer.number,
        ticket.reference,
        "contact",
    )
    changed = {change["field"]: change for change in event["changes"]}
    # In clear here: each connector then receives only the fields of its scope.
    assert changed["emailaddress.email"]["new"] == "grace@navy.example"
    assert changed["emailaddress.email"]["old"] is None  # a new row
    assert changed["emailaddress.email"]["row"] == primary.pk
    assert changed["emailaddress.is_primary"]["kind"] == "value"
    assert dt.datetime.fromisoformat(event["applied_at"]) == transition.at


def test_a_new_address_becomes_the_primary(customer, personas, events):
    old = customer.addresses.get(is_primary=True)
    ticket = applicable(
        customer,
        personas,
        "contact",
        {
            "address_line1": "1 Dock Street",
            "address_city": "Leeds",
            "address_postal_code": "LS1 4AP",
            "address_country": "GB",
            "address_kind": "home",
            "address_make_primary": True,
        },
    )
    ticket_apply(ticket=ticket, by=personas["agent"])
    primary = customer.addresses.get(is_primary=True)
    assert (primary.line1, primary.city, primary.postal_code, primary.country) == (
        "1 Dock Street",
        "Leeds",
        "LS1 4AP",
        "GB",
    )
    assert primary.pk != old.pk
    old.refresh_from_db()
    assert old.is_primary is False
    assert customer.addresses.count() == 2


def test_an_email_changed_in_place_keeps_its_row(customer, personas, events):
    second = EmailAddressFactory(customer=customer, is_primary=False)
    ticket = applicable(
        customer,
        personas,
        "contact",
        {"email": "work@hopper.example", "email_target": second.pk},
    )
    ticket_apply(ticket=ticket, by=personas["agent"])
    second.refresh_from_db()
    assert second.email == "work@hopper.example"
    assert second.is_primary is False
    assert customer.emails.count() == 2


def test_a_legal_name_change_is_written_with_its_history(customer, personas, events):
    ticket = applicable(customer, personas, "personal", {"legal_name": "Grace Brewster Hopper"})
    # Another supervisor than the approver takes it over and applies it.
    applier = second("supervisor", customer.client)
    ticket_take_over(ticket=ticket, by=applier)
    ticket_apply(ticket=ticket, by=applier)
    personal = m.PersonalDetails.objects.get(customer=customer)
    assert personal.legal_name == "Grace Brewster Hopper"
    latest = personal.history.first()
    assert latest.history_user == applier
    assert latest.history_change_reason == f"{ticket.reference} applied"


def test_a_new_card_is_written_from_the_vault_token_and_becomes_the_default(
    customer, personas, events
):
    ticket = applicable(
        customer,
        personas,
        "billing",
        {
            "card_number": "5555555555554444",
            "card_exp_month": 3,
            "card_exp_year": 2031,
            "card_holder_name": "G B HOPPER",
            "card_make_default": True,
        },
    )
    assert ticket.state == State.APPROVED  # billing needs a supervisor
    item = ticket.items.get(field="paymentcard.vault_token")
    token = json.loads(item.new_value)
    ticket_apply(ticket=ticket, by=personas["agent"])

    card = customer.cards.get()
    assert (card.vault_token, card.fingerprint, card.brand, card.bin, card.last4) == (
        token["token"],
        token["fingerprint"],
        token["brand"],
        "555555",
        "4444",
    )
    assert (card.exp_month, card.exp_year, card.holder_name, card.is_default) == (
        3,
        2031,
        "G B HOPPER",
        True,
    )
    assert card.history.get().history_change_reason == f"{ticket.reference} applied"


def test_no_card_number_is_anywhere_after_a_card_change_is_applied(customer, personas, events):
    number = "5555555555554444"
    ticket = applicable(
        customer,
        personas,
        "billing",
        {
            "card_number": number,
            "card_exp_month": 3,
            "card_exp_year": 2031,
            "card_holder_name": "G B HOPPER",
        },
    )
    ticket_apply(ticket=ticket, by=personas["agent"])
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    everything = dump.getvalue() + json.dumps(events)
    assert customer.cards.exists()
    assert number not in everything
    assert "5555 5555 5555 4444" not in everything


def test_preferences_language_and_region_are_written(customer, personas, events):
    prefs = applicable(
        customer, personas, "preferences", {"marketing_email": True, "auto_renew": False}
    )
    ticket_apply(ticket=prefs, by=personas["agent"])
    preferences = m.Preferences.objects.get(customer=customer)
    assert (preferences.marketing_email, preferences.auto_renew) == (True, False)

    region = applicable(
        customer,
        personas,
        "language_region",
        {"language": "fr", "locale": "fr-FR", "time_zone": "Europe/Paris", "country": "FR"},
    )
    ticket_apply(ticket=region, by=personas["agent"])
    language = m.LanguageRegion.objects.get(customer=customer)
    assert (language.language, language.locale, language.time_zone, language.country) == (
        "fr",
        "fr-FR",
        "Europe/Paris",
        "FR",
    )


def test_an_organisation_the_customer_had_none_of_is_created(customer, personas, events):
    ticket = applicable(
        customer,
        personas,
        "organisation",
        {"business_name": "Hopper Computing Ltd", "job_title": "Rear Admiral"},
    )
    assert ticket.state == State.APPROVED  # two tiers: supervisor, then compliance
    ticket_apply(ticket=ticket, by=personas["agent"])
    organisation = m.Organisation.objects.get(customer=customer)
    assert (organisation.business_name, organisation.job_title) == (
        "Hopper Computing Ltd",
        "Rear Admiral",
    )
    created = organisation.history.get()
    assert (created.history_type, created.history_user) == ("+", personas["agent"])


def test_unlinking_removes_the_account_with_history(customer, personas, events):
    account = m.LinkedAccount.objects.create(
        customer=customer,
        provider="google",
        external_id="1234567890",
        linked_at=dt.datetime.now(dt.UTC),
    )
    ticket = applicable(customer, personas, "linked_accounts", {"unlink": [account.pk]})
    ticket_apply(ticket=ticket, by=personas["agent"])
    assert not customer.linked_accounts.exists()
    removed = m.LinkedAccount.history.filter(id=account.pk, history_type="-").get()
    assert removed.history_user == personas["agent"]
    assert removed.history_change_reason == f"{ticket.reference} applied"
    [event] = events
    assert event["changes"][0]["kind"] == "remove"


def test_a_password_reset_is_a_command_to_the_identity_system_not_a_profile_write(
    customer, personas, events
):
    ticket = applicable(
        customer, personas, "security", {"password_reset": True, "sign_out_everywhere": True}
    )
    before = customer.security.two_factor_method
    ticket_apply(ticket=ticket, by=personas["agent"])
    [event] = events
    assert event["commands"] == ["password_reset", "sign_out_everywhere"]
    security = m.SecuritySettings.objects.get(customer=customer)
    # Only the fact the desk records: when it asked for the reset.
    assert security.last_password_reset_at == dt.datetime.fromisoformat(event["applied_at"])
    assert security.two_factor_method == before
    assert security.history.first().history_change_reason == f"{ticket.reference} applied"


def test_the_apply_button_is_offered_to_the_floor_when_the_ticket_can_be_applied(
    customer, personas
):
    ticket = applicable(customer, personas, "preferences", {"marketing_email": True})
    [apply_move] = [m for m in allowed_moves(ticket, personas["agent"]) if m.target == "applied"]
    assert apply_move.via == "apply:apply"
    assert "applied" not in {m.target for m in allowed_moves(ticket, personas["compliance"])}
