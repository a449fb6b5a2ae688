"""Codes go only to contacts that were not just changed (issue 11, docs/design.md §5): a contact
added, changed or made primary within the cooling-off period (24 h by default) is never
offered, sent to or counted as an identity-code destination for security, billing,
organisation, contact or AL3 personal changes. The wizard lists it greyed with the reason;
a crafted POST choosing it is refused; a pass through it counts for nothing. Dual
confirmation of a new contact is unaffected, and old contacts are still offered."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from profiledesk.apply.services import ticket_apply
from profiledesk.customers.models import EmailAddress, PhoneNumber
from profiledesk.tickets.services import ItemDraft
from tests.apply.helpers import applicable
from tests.approvals.helpers import BILLING_ITEM, DOB_ITEM
from tests.conftest import signed_in
from tests.factories import EmailAddressFactory
from verification.models import Attempt, Method, OtpChallenge, Purpose, Result
from verification.services import (
    VerificationError,
    identity_contacts,
    identity_destinations,
    new_contacts,
    otp_send,
)
from verification.status import achieved_level

from .helpers import new_email_item, open_ticket

pytestmark = pytest.mark.django_db

PASSWORD_RESET = ItemDraft(
    section="security",
    field="securitysettings.password_reset",
    label="Password reset",
    new_value="requested",
    new_display="requested",
)


@pytest.fixture
def later(clock):
    """The customer has been on file a while before anything changes."""
    clock.shift(dt.timedelta(days=3))
    return clock


def _apply_contact_change(customer, personas, data: dict):
    ticket = applicable(customer, personas, "contact", data)
    ticket_apply(ticket=ticket, by=personas["agent"])
    return ticket


def _keys(contacts) -> set[str]:
    return {contact.key for contact in contacts}


def _card_change(customer, agent):
    return open_ticket(customer, agent, category="billing", items=[BILLING_ITEM])


def test_the_takeover_email_is_not_offered_for_the_card_change(later, customer, personas, sent):
    """Step 4 of issue 11: the e-mail installed in step 1 receives no identity code for
    the card change; the customer's old e-mail and phone still do."""
    agent = personas["agent"]
    old_email, phone = customer.emails.get(), customer.phones.get()
    _apply_contact_change(
        customer, personas, {"email": "mallory@evil.example", "email_make_primary": True}
    )
    mallory = EmailAddress.objects.get(email="mallory@evil.example")
    assert mallory.is_primary and mallory.verified_at is not None
    later.shift(dt.timedelta(hours=1))

    card = _card_change(customer, agent)
    listed = {contact.key: contact for contact in identity_destinations(card)}
    withheld = listed[f"email:{mallory.pk}"].withheld
    assert withheld.startswith("added on ")
    assert withheld.endswith("not used for identity codes for 24 h")
    assert _keys(identity_contacts(card)) == {f"email:{old_email.pk}", f"phone:{phone.pk}"}

    # A crafted POST choosing it is refused, and nothing is sent.
    with pytest.raises(VerificationError, match="No identity code goes to"):
        otp_send(ticket=card, staff=agent, contact_key=f"email:{mallory.pk}")
    response = signed_in(agent).post(
        reverse("verification:otp_send", args=[card.reference]),
        {"contact": f"email:{mallory.pk}"},
        HTTP_HX_REQUEST="true",
    )
    assert "No identity code goes to" in response.content.decode()
    assert sent == []
    assert not OtpChallenge.objects.filter(email=mallory).exists()

    # The old contact is still offered and works.
    otp_send(ticket=card, staff=agent, contact_key=f"email:{old_email.pk}")
    assert sent[-1].to == old_email.email


def test_the_wizard_lists_the_withheld_contact_greyed_with_the_reason(later, customer, personas):
    agent = personas["agent"]
    _apply_contact_change(customer, personas, {"email": "mallory@evil.example"})
    mallory = EmailAddress.objects.get(email="mallory@evil.example")
    card = _card_change(customer, agent)
    html = signed_in(agent).get(reverse("tickets:detail", args=[card.reference])).content.decode()
    greyed = html.split('data-testid="contact-withheld"')[1].split("</div></div>")[0]
    assert f'value="email:{mallory.pk}"' in greyed and "disabled" in greyed
    when = timezone.localtime(timezone.now()).strftime("%-d %b %H:%M")
    assert f"added on {when} — not used for identity codes for 24 h" in greyed
    assert "mallory@evil.example" not in html  # masked like every contact
    assert html.count('data-testid="contact-offered"') == 2


def test_an_email_changed_in_place_is_withheld_for_a_password_reset(later, customer, personas):
    agent = personas["agent"]
    email = customer.emails.get()
    _apply_contact_change(
        customer, personas, {"email": "grace@navy.example", "email_target": email.pk}
    )
    security = open_ticket(customer, agent, category="security", items=[PASSWORD_RESET])
    listed = {contact.key: contact for contact in identity_destinations(security)}
    assert listed[f"email:{email.pk}"].withheld.startswith("changed on ")
    with pytest.raises(VerificationError, match="No identity code goes to"):
        otp_send(ticket=security, staff=agent, contact_key=f"email:{email.pk}")


def test_a_new_phone_is_withheld_too(later, customer, personas, sent):
    agent = personas["agent"]
    _apply_contact_change(customer, personas, {"phone": "+447700900999", "phone_kind": "mobile"})
    new_phone = PhoneNumber.objects.get(number="+447700900999")
    for category, items in (("security", [PASSWORD_RESET]), ("billing", [BILLING_ITEM])):
        ticket = open_ticket(customer, agent, category=category, items=items)
        assert f"phone:{new_phone.pk}" not in _keys(identity_contacts(ticket))
        with pytest.raises(VerificationError, match="No identity code goes to"):
            otp_send(ticket=ticket, staff=agent, contact_key=f"phone:{new_phone.pk}")
    assert all(message.to != new_phone.number for message in sent)


def test_a_contact_made_primary_is_withheld(later, customer, agent):
    old = customer.emails.get()
    secondary = EmailAddressFactory(customer=customer, is_primary=False)
    later.shift(dt.timedelta(days=10))
    old.is_primary = False
    old.save()
    secondary.is_primary = True
    secondary.save()
    card = _card_change(customer, agent)
    listed = {contact.key: contact for contact in identity_destinations(card)}
    assert listed[f"email:{secondary.pk}"].withheld.startswith("made primary on ")
    assert not listed[f"email:{old.pk}"].withheld  # demoted, not changed


def test_a_pass_through_a_withheld_contact_counts_for_nothing(later, customer, personas):
    """Even a pass recorded through it (a code sent before it was withheld, or written by
    anything but the wizard) does not count toward the level."""
    agent = personas["agent"]
    _apply_contact_change(customer, personas, {"email": "mallory@evil.example"})
    mallory = EmailAddress.objects.get(email="mallory@evil.example")
    card = _card_change(customer, agent)
    now = timezone.now()
    challenge = OtpChallenge.objects.create(
        ticket=card,
        customer=customer,
        purpose=Purpose.IDENTITY,
        channel="email",
        email=mallory,
        destination=f"email:{mallory.pk}",
        code_hash="x",
        created_at=now,
        expires_at=now,
        used_at=now,
    )
    Attempt.objects.create(
        ticket=card,
        customer=customer,
        method=Method.OTP,
        result=Result.PASSED,
        staff=agent,
        at=now,
        challenge=challenge,
    )
    assert achieved_level(card) == 0


def test_after_the_cooling_off_period_the_contact_is_offered_again(later, customer, personas):
    agent = personas["agent"]
    _apply_contact_change(customer, personas, {"email": "grace@navy.example"})
    new = EmailAddress.objects.get(email="grace@navy.example")
    later.shift(dt.timedelta(hours=24, seconds=1))
    assert f"email:{new.pk}" in _keys(identity_contacts(_card_change(customer, agent)))


def test_the_period_is_the_policy_setting(later, customer, personas):
    from profiledesk.policies.models import Policy

    agent = personas["agent"]
    _apply_contact_change(customer, personas, {"email": "grace@navy.example"})
    new = EmailAddress.objects.get(email="grace@navy.example")
    later.shift(dt.timedelta(hours=5))
    billing = Policy.objects.get(client=customer.client, category="billing")
    billing.cooling_off_hours = 4
    billing.save()
    assert f"email:{new.pk}" in _keys(identity_contacts(_card_change(customer, agent)))
    billing.cooling_off_hours = 48
    billing.save()
    assert f"email:{new.pk}" not in _keys(identity_contacts(_card_change(customer, agent)))


@pytest.mark.parametrize(
    ("category", "items", "withheld"),
    [
        ("contact", None, True),  # no period of its own: the client's longest (24 h)
        ("organisation", "org", True),
        ("personal", [DOB_ITEM], True),  # AL3
        (
            "personal",
            [
                ItemDraft(
                    section="personal",
                    field="personaldetails.preferred_name",
                    label="Preferred name",
                    new_value="Amazing Grace",
                    new_display="Amazing Grace",
                )
            ],
            False,  # AL2
        ),
        ("preferences", None, False),
    ],
)
def test_which_categories_withhold_a_just_changed_contact(
    customer, personas, later, category, items, withheld
):
    from tests.approvals.helpers import ORGANISATION_ITEM

    agent = personas["agent"]
    _apply_contact_change(customer, personas, {"email": "grace@navy.example"})
    new = EmailAddress.objects.get(email="grace@navy.example")
    items = [ORGANISATION_ITEM] if items == "org" else items
    kwargs = {"items": items} if items else {}
    ticket = open_ticket(customer, agent, category=category, **kwargs)
    assert (f"email:{new.pk}" not in _keys(identity_contacts(ticket))) is withheld


def test_dual_confirmation_of_a_new_contact_is_unaffected(later, customer, personas, sent):
    agent = personas["agent"]
    _apply_contact_change(customer, personas, {"email": "grace@navy.example"})
    another = open_ticket(customer, agent, items=[new_email_item("grace@second.example")])
    [proof] = new_contacts(another)
    otp_send(ticket=another, staff=agent, contact_key=proof.key)
    assert sent[-1].to == "grace@second.example"


def test_old_contacts_are_offered_when_nothing_changed(later, customer, agent):
    card = _card_change(customer, agent)
    assert _keys(identity_contacts(card)) == {
        f"email:{customer.emails.get().pk}",
        f"phone:{customer.phones.get().pk}",
    }
    assert all(not contact.withheld for contact in identity_destinations(card))


def test_when_every_contact_was_just_changed_the_wizard_says_so(later, customer, personas):
    agent = personas["agent"]
    email, phone = customer.emails.get(), customer.phones.get()
    _apply_contact_change(
        customer,
        personas,
        {
            "email": "grace@navy.example",
            "email_target": email.pk,
            "phone": "+447700900999",
            "phone_target": phone.pk,
        },
    )
    security = open_ticket(customer, agent, category="security", items=[PASSWORD_RESET])
    assert identity_contacts(security) == []
    html = signed_in(agent).get(reverse("tickets:detail", args=[security.reference]))
    html = html.content.decode()
    assert html.count('data-testid="contact-withheld"') == 2
    assert 'data-testid="otp-send"' not in html
    assert "No contact on file can receive an identity code for this change now" in html
