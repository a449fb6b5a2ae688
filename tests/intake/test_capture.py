"""drafts_for: the right change items, old values masked, secrets only as tokens or hashes."""

import dataclasses
import datetime as dt
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from profiledesk.customers import models as m
from profiledesk.intake.capture import drafts_for
from profiledesk.intake.fields import CATEGORY_FIELDS, Kind, resolve_field
from profiledesk.intake.validators import validate_avatar
from profiledesk.policies.categories import Category
from profiledesk.tickets.models import ChangeItem
from profiledesk.tickets.services import ticket_create
from tests.factories import complete_customer
from verification.answers import answer_matches

CARD = "4242 4242 4242 4242"
CARD_DIGITS = CARD.replace(" ", "")


def everything_in(drafts) -> str:
    """Every text of every draft, to search for what must not be there."""
    if isinstance(drafts, dict):
        drafts = drafts.values()
    return " ".join(str(value) for d in drafts for value in dataclasses.asdict(d).values())


def by_field(drafts) -> dict:
    return {d.field: d for d in drafts}


# --- the map ------------------------------------------------------------------------


def test_every_category_has_fields_and_every_field_resolves_to_its_model():
    assert set(CATEGORY_FIELDS) == set(Category.values)
    for category, specs in CATEGORY_FIELDS.items():
        assert specs
        for spec in specs:
            assert spec.model in m.PROFILE_SECTIONS[category]
            assert resolve_field(category, spec.key) is spec
            if spec.kind == Kind.VALUE:
                assert spec.name in spec.model.field_policies


def test_a_field_of_another_section_does_not_resolve():
    with pytest.raises(LookupError):
        resolve_field(Category.PREFERENCES, "emailaddress.email")


# --- contact ------------------------------------------------------------------------


@pytest.mark.django_db
def test_replacing_the_primary_email_masks_the_old_address_and_targets_its_row(customer):
    primary = customer.emails.get(is_primary=True)
    drafts = drafts_for(
        category=Category.CONTACT,
        cleaned_data={"email": "grace.new@example.org", "email_target": primary.pk},
        customer=customer,
    )
    assert len(drafts) == 1
    item = drafts[0]
    assert (item.section, item.field, item.target_id) == (
        "contact",
        "emailaddress.email",
        primary.pk,
    )
    assert item.label == "E-mail address"
    assert item.old_display == f"{primary.email[0]}•••@example.com"
    assert primary.email not in everything_in(drafts)
    assert item.new_value == "grace.new@example.org"
    assert item.new_display == "g•••@example.org"


@pytest.mark.django_db
def test_a_new_phone_is_a_new_row_and_becomes_primary_only_when_asked(customer):
    data = {"phone": "+447911123456", "phone_kind": "work", "phone_target": None}
    drafts = by_field(drafts_for(category=Category.CONTACT, cleaned_data=data, customer=customer))
    assert set(drafts) == {"phonenumber.number", "phonenumber.kind"}
    assert all(d.target_id is None and d.old_display == "" for d in drafts.values())
    assert drafts["phonenumber.number"].new_display == "+44 •••• ••3456"
    assert drafts["phonenumber.kind"].new_display == "Work"

    data["phone_make_primary"] = True
    drafts = by_field(drafts_for(category=Category.CONTACT, cleaned_data=data, customer=customer))
    assert drafts["phonenumber.is_primary"].new_value == "true"


@pytest.mark.django_db
def test_replacing_an_address_lists_only_what_changes_with_the_old_values_masked(customer):
    home = customer.addresses.get()
    data = {
        "address_target": home.pk,
        "address_line1": "1 Infinite Loop",
        "address_city": home.city,
        "address_postal_code": "EC1A 1BB",
        "address_country": "GB",
        "address_kind": home.kind,
    }
    drafts = by_field(drafts_for(category=Category.CONTACT, cleaned_data=data, customer=customer))
    assert set(drafts) == {"postaladdress.line1", "postaladdress.postal_code"}
    assert drafts["postaladdress.line1"].old_display == "1••••••••"  # 10 Downing Street
    assert drafts["postaladdress.postal_code"].old_display == "SW1•••••"
    assert drafts["postaladdress.postal_code"].new_value == "EC1A 1BB"
    assert {d.target_id for d in drafts.values()} == {home.pk}


@pytest.mark.django_db
def test_a_row_of_another_customer_cannot_be_the_target(customer, northwind):
    stranger = complete_customer(northwind)
    their_email = stranger.emails.get()
    with pytest.raises(ValidationError) as excinfo:
        drafts_for(
            category=Category.CONTACT,
            cleaned_data={"email": "x@example.org", "email_target": their_email.pk},
            customer=customer,
        )
    assert excinfo.value.code == "target"


# --- personal -----------------------------------------------------------------------


@pytest.mark.django_db
def test_sensitive_personal_details_are_masked_on_both_sides(customer):
    data = {
        "date_of_birth": dt.date(1985, 4, 8),
        "national_id": "AB123456C",
        "national_id_country": "GB",
        "legal_name": "Grace Brewster Hopper",
    }
    drafts = by_field(drafts_for(category=Category.PERSONAL, cleaned_data=data, customer=customer))
    assert set(drafts) == {
        "personaldetails.legal_name",
        "personaldetails.date_of_birth",
        "personaldetails.national_id",
    }  # the ID's country is unchanged
    dob = drafts["personaldetails.date_of_birth"]
    assert (dob.old_display, dob.new_display, dob.new_value) == (
        "••/••/1984",
        "••/••/1985",
        "1985-04-08",
    )
    nid = drafts["personaldetails.national_id"]
    assert (nid.old_display, nid.new_display) == ("•••• 456C", "•••• 456C")
    assert "QQ123456C" not in everything_in(drafts)
    assert drafts["personaldetails.legal_name"].old_display == "Grace Hopper"


@pytest.mark.django_db
def test_a_request_that_changes_nothing_is_refused(customer):
    with pytest.raises(ValidationError) as excinfo:
        drafts_for(
            category=Category.PERSONAL,
            cleaned_data={"legal_name": "Grace Hopper", "preferred_name": ""},
            customer=customer,
        )
    assert excinfo.value.code == "no_change"


# --- billing ------------------------------------------------------------------------


def card_data(**extra) -> dict:
    return {
        "card_number": CARD,
        "card_exp_month": 4,
        "card_exp_year": timezone.now().year + 2,
        "card_holder_name": "G HOPPER",
        **extra,
    }


@pytest.mark.django_db
def test_a_new_card_is_captured_as_a_vault_token_and_its_number_is_nowhere(customer):
    drafts = drafts_for(category=Category.BILLING, cleaned_data=card_data(), customer=customer)
    assert CARD_DIGITS not in everything_in(drafts)
    assert "4242 4242 4242" not in everything_in(drafts)
    card = by_field(drafts)["paymentcard.vault_token"]
    assert card.is_secret
    assert card.label == "Card"
    token = json.loads(card.new_value)
    assert token["token"].startswith("tok_card_")
    assert (token["brand"], token["bin"], token["last4"]) == ("visa", "424242", "4242")
    assert card.new_display == "Visa 4242 42•• •••• 4242"
    # The customer has no card yet: the new one is the default.
    assert by_field(drafts)["paymentcard.is_default"].new_value == "true"


@pytest.mark.django_db
def test_a_bad_card_number_gives_an_error_without_its_digits(customer):
    with pytest.raises(ValidationError) as excinfo:
        drafts_for(
            category=Category.BILLING,
            cleaned_data=card_data(card_number="4242 4242 4242 4241"),
            customer=customer,
        )
    text = " ".join(excinfo.value.messages)
    assert "4242" not in text and "4241" not in text


@pytest.mark.django_db
def test_a_card_security_code_is_never_taken(customer):
    with pytest.raises(ValidationError) as excinfo:
        drafts_for(category=Category.BILLING, cleaned_data=card_data(cvv="123"), customer=customer)
    assert excinfo.value.code == "cvv"


@pytest.mark.django_db
def test_a_new_iban_is_captured_as_a_bank_token_with_a_masked_display(customer):
    account = customer.bank_accounts.get()
    account.is_default = True
    account.save(update_fields=["is_default"])
    iban = "DE89370400440532013000"
    drafts = by_field(
        drafts_for(
            category=Category.BILLING,
            cleaned_data={"iban": iban, "account_holder": "Grace Hopper"},
            customer=customer,
        )
    )
    bank = drafts["bankaccount.vault_token"]
    assert iban not in everything_in(drafts)
    assert bank.label == "IBAN"
    assert json.loads(bank.new_value)["token"].startswith("tok_iban_")
    assert bank.new_display == "DE•• •••• •••• 3000"
    assert "paymentcard.vault_token" not in drafts
    # The customer already has a default bank account: this one does not take over.
    assert "bankaccount.is_default" not in drafts


# --- security -----------------------------------------------------------------------


@pytest.mark.django_db
def test_security_commands_carry_no_value(customer):
    drafts = drafts_for(
        category=Category.SECURITY,
        cleaned_data={"password_reset": True, "two_factor_reset": True},
        customer=customer,
    )
    assert [d.field for d in drafts] == [
        "securitysettings.password_reset",
        "securitysettings.two_factor_reset",
    ]
    assert drafts[1].old_display == "Authenticator app"
    assert resolve_field("security", drafts[0].field).kind == Kind.COMMAND


@pytest.mark.django_db
def test_a_security_answer_is_hashed_before_it_becomes_a_change_item(customer):
    question = customer.security_questions.get()
    drafts = drafts_for(
        category=Category.SECURITY,
        cleaned_data={"question_target": question.pk, "answer": "Saint-Étienne"},
        customer=customer,
    )
    assert len(drafts) == 1
    answer = drafts[0]
    assert answer.is_secret and answer.target_id == question.pk
    assert "tienne" not in everything_in(drafts)
    assert answer_matches("saint etienne", answer.new_value)
    assert answer.new_display == answer.old_display == "•••••• (set)"


@pytest.mark.django_db
def test_a_new_security_question_needs_its_answer(customer):
    with pytest.raises(ValidationError):
        drafts_for(
            category=Category.SECURITY,
            cleaned_data={"question": "Name of your first pet?"},
            customer=customer,
        )


# --- the other sections -------------------------------------------------------------


@pytest.mark.django_db
def test_only_the_preferences_that_change_become_items(customer):
    data = {"marketing_email": True, "email_notifications": True, "auto_renew": None}
    drafts = drafts_for(category=Category.PREFERENCES, cleaned_data=data, customer=customer)
    assert [(d.field, d.old_display, d.new_display) for d in drafts] == [
        ("preferences.marketing_email", "No", "Yes")
    ]


@pytest.mark.django_db
def test_unlinking_an_account_targets_it_and_masks_its_external_id(customer):
    account = m.LinkedAccount.objects.create(
        customer=customer, provider="google", external_id="1098765432", linked_at=timezone.now()
    )
    [item] = drafts_for(
        category=Category.LINKED_ACCOUNTS, cleaned_data={"unlink": [account.pk]}, customer=customer
    )
    assert (item.field, item.target_id) == ("linkedaccount.unlink", account.pk)
    assert item.old_display == "Google (•••• 5432)"


@pytest.mark.django_db
def test_language_and_region_changes_list_only_what_differs(customer):
    data = {"language": "es", "locale": "es-ES", "time_zone": "Europe/London", "country": "GB"}
    drafts = drafts_for(category=Category.LANGUAGE_REGION, cleaned_data=data, customer=customer)
    assert [(d.field, d.old_display, d.new_value) for d in drafts] == [
        ("languageregion.language", "en", "es"),
        ("languageregion.locale", "en-GB", "es-ES"),
    ]


@pytest.mark.django_db
def test_organisation_details_for_a_customer_without_any_are_all_new(customer):
    data = {"business_name": "Hopper Labs", "vat_number": "DE136695976"}
    drafts = drafts_for(category=Category.ORGANISATION, cleaned_data=data, customer=customer)
    assert [(d.field, d.old_display, d.new_value) for d in drafts] == [
        ("organisation.business_name", "", "Hopper Labs"),
        ("organisation.vat_number", "", "DE136695976"),
    ]


@pytest.mark.django_db
def test_an_avatar_is_stored_re_encoded_without_its_camera_metadata(
    customer, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), "navy").save(buffer, format="JPEG", exif=exif)
    upload = validate_avatar(SimpleUploadedFile("me.jpg", buffer.getvalue()))

    with django_capture_on_commit_callbacks(execute=True):  # written when the ticket commits
        [item] = drafts_for(
            category=Category.AVATAR, cleaned_data={"image": upload}, customer=customer
        )

    assert item.new_value.startswith("avatars/pending/")
    assert item.new_display == "New image (JPEG, 300 × 200 px)"
    with default_storage.open(item.new_value) as stored, Image.open(stored) as image:
        assert image.size == (300, 200)
        assert "SecretCam" not in str(dict(image.getexif()))


# --- into a ticket ------------------------------------------------------------------


@pytest.mark.django_db
def test_captured_drafts_open_a_ticket_that_holds_no_card_number(customer, agent):
    drafts = drafts_for(category=Category.BILLING, cleaned_data=card_data(), customer=customer)
    ticket = ticket_create(
        client=customer.client,
        customer=customer,
        by=agent,
        channel="phone",
        category=Category.BILLING,
        items=drafts,
    )
    stored = list(ticket.items.values_list("field", "new_value", "new_display", "is_secret"))
    assert len(stored) == len(drafts)
    assert not ChangeItem.objects.filter(new_value__contains=CARD_DIGITS).exists()
    assert not ChangeItem.history.filter(new_value__contains=CARD_DIGITS).exists()
    assert ("paymentcard.vault_token", True) in {(f, secret) for f, _, _, secret in stored}
