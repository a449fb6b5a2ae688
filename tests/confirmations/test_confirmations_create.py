"""confirmations.services.confirmations_create: who is told, in which language, with
nothing sensitive, once."""

import pytest
from django.utils import timezone

from profiledesk.confirmations.models import Confirmation, Reason, ReportLink
from profiledesk.confirmations.services import confirmations_create
from profiledesk.customers.models import LanguageRegion, Preferences
from profiledesk.messaging.models import Message
from profiledesk.privacy.masking import mask_email
from profiledesk.tickets.models import TicketEvent
from profiledesk.tickets.services import ItemDraft
from tests.factories import EmailAddressFactory, PhoneNumberFactory, card_on_file

from .conftest import (
    email_change,
    mark_applied,
    open_ticket,
    phone_change,
    sent_content,
    set_fields,
)

pytestmark = pytest.mark.django_db


def recipients(messages) -> set[tuple[str, str]]:
    return {(m.channel, m.recipient) for m in messages}


def test_an_email_change_is_confirmed_to_the_old_and_the_new_address(customer):
    ticket, old = email_change(customer)

    messages = confirmations_create(ticket=ticket)

    assert recipients(messages) == {("email", old), ("email", "new.address@example.com")}
    reasons = {c.message.recipient: c.reason for c in Confirmation.objects.filter(ticket=ticket)}
    assert reasons == {old: Reason.OLD_CONTACT, "new.address@example.com": Reason.NEW_CONTACT}
    assert all(m.template == "confirmation" and m.ticket_id == ticket.pk for m in messages)


def test_a_phone_change_is_confirmed_by_sms_to_the_old_and_the_new_number(customer):
    ticket, old = phone_change(customer)

    messages = confirmations_create(ticket=ticket)

    # Both numbers by SMS, and the primary e-mail (the preferred channel) too.
    primary = customer.emails.get(is_primary=True).email
    assert recipients(messages) == {
        ("sms", old),
        ("sms", "+447700911222"),
        ("email", primary),
    }


def test_a_security_change_goes_to_every_verified_contact_only(customer):
    second = EmailAddressFactory(customer=customer, is_primary=False)
    EmailAddressFactory(customer=customer, is_primary=False, verified_at=None)
    landline = PhoneNumberFactory(customer=customer, is_primary=False, kind="landline")
    ticket = mark_applied(
        open_ticket(
            customer,
            category="security",
            items=[
                ItemDraft(
                    section="security",
                    field="securitysettings.sign_out_everywhere",
                    label="Sign out everywhere",
                    new_value="yes",
                    new_display="Requested",
                )
            ],
        )
    )

    messages = confirmations_create(ticket=ticket)

    primary = customer.emails.get(is_primary=True).email
    phone = customer.phones.get(is_primary=True).number
    assert recipients(messages) == {("email", primary), ("email", second.email), ("sms", phone)}
    assert landline.number not in {m.recipient for m in messages}
    assert {c.reason for c in Confirmation.objects.filter(ticket=ticket)} == {Reason.VERIFIED}


def preferences_change(customer):
    return mark_applied(
        open_ticket(
            customer,
            category="preferences",
            items=[
                ItemDraft(
                    section="preferences",
                    field="preferences.marketing_email",
                    label="Promotional e-mails",
                    old_display="No",
                    new_value="True",
                    new_display="Yes",
                )
            ],
        )
    )


def test_other_changes_go_to_the_primary_contact_of_each_preferred_channel(customer):
    set_fields(
        Preferences.objects.get(customer=customer), confirm_by_email=False, confirm_by_sms=True
    )

    messages = confirmations_create(ticket=preferences_change(customer))

    assert recipients(messages) == {("sms", customer.phones.get(is_primary=True).number)}


def test_both_preferred_channels_give_an_email_and_an_sms(customer):
    set_fields(
        Preferences.objects.get(customer=customer), confirm_by_email=True, confirm_by_sms=True
    )

    messages = confirmations_create(ticket=preferences_change(customer))

    assert {m.channel for m in messages} == {"email", "sms"}


def test_a_customer_with_no_preferred_channel_is_still_told_by_email(customer):
    set_fields(
        Preferences.objects.get(customer=customer), confirm_by_email=False, confirm_by_sms=False
    )

    messages = confirmations_create(ticket=preferences_change(customer))

    assert recipients(messages) == {("email", customer.emails.get(is_primary=True).email)}


def test_the_confirmation_is_in_the_customers_language(customer):
    set_fields(
        LanguageRegion.objects.get(customer=customer), language="es", time_zone="Europe/Madrid"
    )
    ticket, _old = email_change(customer)

    [message, *_] = confirmations_create(ticket=ticket)

    content = sent_content(message)
    assert message.language == "es"
    assert content["subject"] == f"Northwind Energy: tu perfil ha cambiado ({ticket.reference})"
    assert "¿No has sido tú?" in content["text"]
    assert "No he hecho este cambio" in content["html"]


def test_the_message_says_what_changed_masked_when_and_the_reference(customer):
    ticket, old = email_change(customer)

    [message, *_] = confirmations_create(ticket=ticket)

    content = sent_content(message)
    assert ticket.reference in content["subject"]
    assert f"E-mail address: {mask_email(old)} -> n•••@example.com" in content["text"]
    assert timezone.now().strftime("%Y-%m-%d") in content["text"]
    assert "/confirm/report/" in content["text"] and "/confirm/report/" in content["html"]


def test_nothing_sensitive_is_in_any_message(customer):
    ticket, old = email_change(customer)
    card_on_file(customer, number="4242424242424242")

    messages = confirmations_create(ticket=ticket)

    for message in messages:
        content = sent_content(message)
        everything = " ".join([*content.values(), message.subject, message.text_redacted])
        # Not the full address of any contact (the old one is not shown to the new, nor
        # the new one to the old), and no card number.
        assert old not in everything
        assert "new.address@example.com" not in everything
        assert "4242424242424242" not in everything
        # Staff see the message without the link: it is the message's secret.
        assert "/confirm/report/" not in message.text_redacted
        assert message.body_text == "" and message.body_html == ""


def test_a_billing_change_shows_only_the_masked_card(customer):
    ticket = mark_applied(
        open_ticket(
            customer,
            category="billing",
            items=[
                ItemDraft(
                    section="billing",
                    field="paymentcard.vault_token",
                    label="Card",
                    new_value="tok_secret_vault_token",
                    new_display="Visa •••• 4242",
                    is_secret=True,
                )
            ],
        )
    )

    [message] = confirmations_create(ticket=ticket)

    content = sent_content(message)
    assert "Visa •••• 4242" in content["text"]
    assert "tok_secret_vault_token" not in " ".join(content.values())


def test_a_retried_apply_sends_nothing_twice(customer):
    ticket, _old = email_change(customer)
    first = confirmations_create(ticket=ticket)

    again = confirmations_create(ticket=ticket)

    assert [m.pk for m in again] == [m.pk for m in first]
    assert Message.objects.filter(ticket=ticket).count() == 2
    assert ReportLink.objects.filter(ticket=ticket).count() == 2


def test_the_timeline_says_who_is_told_with_masked_recipients(customer):
    ticket, old = email_change(customer)

    confirmations_create(ticket=ticket)

    note = TicketEvent.objects.filter(
        ticket=ticket, message__startswith="Confirmation queued"
    ).get()
    assert mask_email(old) in note.message and old not in note.message


def test_a_retried_apply_adds_no_second_timeline_note(customer):
    ticket, _old = email_change(customer)
    confirmations_create(ticket=ticket)

    confirmations_create(ticket=ticket)

    notes = TicketEvent.objects.filter(ticket=ticket, message__startswith="Confirmation queued")
    assert notes.count() == 1
