"""The category forms: bad input is a message on its field; good input becomes items."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.utils import timezone
from PIL import Image

from profiledesk.customers import models as m
from profiledesk.intake.capture import drafts_for
from profiledesk.intake.forms import FORMS, form_for
from profiledesk.policies.categories import Category

pytestmark = pytest.mark.django_db

NEXT_YEAR = str(timezone.now().year + 1)


def rendered(form) -> str:
    return Template("{% load crispy_forms_tags %}{% crispy form %}").render(Context({"form": form}))


@pytest.mark.parametrize("category", Category.values)
def test_every_category_has_a_form_that_renders_inside_the_pages_own_form_tag(category, customer):
    html = rendered(form_for(category, customer=customer))
    assert "<form" not in html
    assert "csrfmiddlewaretoken" not in html
    assert "<label" in html or "<legend" in html


def test_an_unknown_category_has_no_form(customer):
    with pytest.raises(ValueError):
        form_for("pets", customer=customer)


def test_a_form_with_nothing_filled_in_asks_for_the_change(customer):
    form = form_for(Category.CONTACT, customer=customer, data={})
    assert not form.is_valid()
    assert "Fill in what the customer wants to change." in form.non_field_errors()


# --- contact ------------------------------------------------------------------------


def test_a_malformed_email_is_an_error_on_the_email_field(customer):
    form = form_for(Category.CONTACT, customer=customer, data={"email": "grace@"})
    assert not form.is_valid()
    assert "name@example.com" in form.errors["email"][0]


def test_a_national_phone_number_is_read_in_the_customers_country(customer):
    form = form_for(Category.CONTACT, customer=customer, data={"phone": "07911 123456"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "+447911123456"


def test_a_phone_number_that_cannot_exist_is_an_error_on_the_phone_field(customer):
    form = form_for(Category.CONTACT, customer=customer, data={"phone": "0791"})
    assert not form.is_valid()
    assert "phone" in form.errors


def test_a_postal_code_is_checked_against_the_addresss_country(customer):
    data = {
        "address_line1": "Calle Mayor 1",
        "address_city": "Madrid",
        "address_postal_code": "SW1A 2AA",
        "address_country": "ES",
    }
    form = form_for(Category.CONTACT, customer=customer, data=data)
    assert not form.is_valid()
    assert "Spain" in form.errors["address_postal_code"][0]

    form = form_for(
        Category.CONTACT, customer=customer, data={**data, "address_postal_code": "28013"}
    )
    assert form.is_valid(), form.errors


def test_an_address_without_its_city_is_an_error_on_the_city(customer):
    data = {
        "address_line1": "1 Main St",
        "address_postal_code": "EC1A 1BB",
        "address_country": "GB",
    }
    form = form_for(Category.CONTACT, customer=customer, data=data)
    assert not form.is_valid()
    assert list(form.errors) == ["address_city"]


def test_a_card_number_typed_into_an_address_line_is_refused_without_its_digits(customer):
    data = {
        "address_line1": "4111 1111 1111 1111",
        "address_city": "London",
        "address_postal_code": "EC1A 1BB",
        "address_country": "GB",
    }
    form = form_for(Category.CONTACT, customer=customer, data=data)
    assert not form.is_valid()
    assert "4111" not in form.errors["address_line1"][0]


def test_replacing_the_primary_email_is_the_default_and_makes_one_item(customer):
    primary = customer.emails.get(is_primary=True)
    form = form_for(Category.CONTACT, customer=customer)
    assert form.fields["email_target"].initial == str(primary.pk)
    # The choices show the addresses masked: the caller is not verified yet.
    assert primary.email not in rendered(form)

    form = form_for(
        Category.CONTACT,
        customer=customer,
        data={"email": " Grace@Example.ORG", "email_target": str(primary.pk)},
    )
    assert form.is_valid(), form.errors
    [item] = drafts_for(
        category=Category.CONTACT, cleaned_data=form.cleaned_data, customer=customer
    )
    assert (item.target_id, item.new_value) == (primary.pk, "grace@example.org")


def test_a_target_that_is_not_one_of_the_customers_rows_is_an_error(customer):
    form = form_for(
        Category.CONTACT,
        customer=customer,
        data={"email": "a@example.org", "email_target": "999999"},
    )
    assert not form.is_valid()
    assert "email_target" in form.errors


# --- billing ------------------------------------------------------------------------


def billing(**extra) -> dict:
    return {
        "card_number": "4242 4242 4242 4242",
        "card_exp_month": "4",
        "card_exp_year": NEXT_YEAR,
        "card_holder_name": "G Hopper",
        **extra,
    }


def test_a_bad_card_number_is_an_error_on_its_field_and_is_not_shown_again(customer):
    form = form_for(
        Category.BILLING, customer=customer, data=billing(card_number="4242 4242 4242 4241")
    )
    assert not form.is_valid()
    assert "not valid" in form.errors["card_number"][0]
    html = rendered(form)
    assert "4241" not in html and "4242 4242" not in html


def test_a_good_card_number_is_not_shown_again_after_an_error_elsewhere(customer):
    form = form_for(Category.BILLING, customer=customer, data=billing(card_holder_name=""))
    assert not form.is_valid()
    assert list(form.errors) == ["card_holder_name"]
    html = rendered(form)
    assert "4242" not in html
    assert 'autocomplete="off"' in html


def test_an_expired_card_is_an_error_on_its_expiry(customer):
    year = str(timezone.now().year)
    month = timezone.now().month
    if month == 1:
        pytest.skip("no earlier month this year")
    form = form_for(
        Category.BILLING,
        customer=customer,
        data=billing(card_exp_year=year, card_exp_month=str(month - 1)),
    )
    assert not form.is_valid()
    assert form.errors["card_exp_month"] == ["This card has expired."]


def test_the_billing_form_has_no_field_for_a_security_code(customer):
    fields = {name.lower() for name in form_for(Category.BILLING, customer=customer).fields}
    assert not fields & {"cvv", "cvc", "csc", "card_cvv", "security_code"}


def test_a_valid_card_becomes_a_token_on_the_way_to_the_ticket(customer):
    form = form_for(Category.BILLING, customer=customer, data=billing())
    assert form.is_valid(), form.errors
    drafts = drafts_for(
        category=Category.BILLING, cleaned_data=form.cleaned_data, customer=customer
    )
    assert "4242424242424242" not in " ".join(d.new_value + d.new_display for d in drafts)


def test_a_bad_iban_is_an_error_on_the_iban_field(customer):
    form = form_for(
        Category.BILLING,
        customer=customer,
        data={"iban": "GB82WEST12345698765433", "account_holder": "G Hopper"},
    )
    assert not form.is_valid()
    assert "check digits" in form.errors["iban"][0]


# --- personal, organisation, language ------------------------------------------------


def test_a_date_of_birth_in_the_future_is_an_error_on_its_field(customer):
    form = form_for(Category.PERSONAL, customer=customer, data={"date_of_birth": "2999-01-01"})
    assert not form.is_valid()
    assert form.errors["date_of_birth"] == ["A date of birth cannot be in the future."]


def test_a_national_id_is_checked_against_the_chosen_country(customer):
    data = {"national_id": "12345678Z", "national_id_country": "GB"}
    form = form_for(Category.PERSONAL, customer=customer, data=data)
    assert not form.is_valid()
    assert "national_id" in form.errors

    form = form_for(
        Category.PERSONAL, customer=customer, data={**data, "national_id_country": "ES"}
    )
    assert form.is_valid(), form.errors


def test_the_personal_form_shows_sensitive_current_values_masked(customer):
    html = rendered(form_for(Category.PERSONAL, customer=customer))
    assert "••/••/1984" in html
    assert "1984-03-07" not in html
    assert "QQ123456C" not in html


def test_a_vat_number_with_bad_check_digits_is_an_error_on_its_field(customer):
    form = form_for(Category.ORGANISATION, customer=customer, data={"vat_number": "DE136695977"})
    assert not form.is_valid()
    assert "vat_number" in form.errors


def test_a_tax_id_is_checked_for_its_country(customer):
    data = {"tax_id": "12-3456789", "tax_id_country": "US", "business_name": "Hopper Labs"}
    form = form_for(Category.ORGANISATION, customer=customer, data=data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["tax_id"] == "123456789"

    form = form_for(Category.ORGANISATION, customer=customer, data={**data, "tax_id_country": "FR"})
    assert "tax_id" in form.errors


def test_a_locale_is_normalised_and_nonsense_is_refused(customer):
    form = form_for(Category.LANGUAGE_REGION, customer=customer, data={"locale": "es_es"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["locale"] == "es-ES"
    form = form_for(Category.LANGUAGE_REGION, customer=customer, data={"locale": "Spanish"})
    assert "locale" in form.errors


# --- security, preferences, linked accounts, avatar ---------------------------------


def test_a_two_factor_reset_for_a_customer_without_two_factor_is_an_error(customer):
    security = customer.security
    security.two_factor_method = m.SecuritySettings.Method.NONE
    security.save()
    form = form_for(Category.SECURITY, customer=customer, data={"two_factor_reset": "on"})
    assert not form.is_valid()
    assert "two_factor_reset" in form.errors


def test_a_security_answer_is_never_written_back_into_the_page(customer):
    # A new question without its text: an error, and the page is shown again.
    form = form_for(Category.SECURITY, customer=customer, data={"answer": "Rex the dog"})
    assert not form.is_valid()
    assert "question" in form.errors
    assert "Rex the dog" not in rendered(form)


def test_a_preferences_form_sent_back_unchanged_changes_nothing(customer):
    form = form_for(Category.PREFERENCES, customer=customer)
    data = {name: str(field.initial) for name, field in form.fields.items()}
    form = form_for(Category.PREFERENCES, customer=customer, data=data)
    assert form.is_valid(), form.errors
    with pytest.raises(Exception, match="Nothing to change"):
        drafts_for(category=Category.PREFERENCES, cleaned_data=form.cleaned_data, customer=customer)


def test_a_partial_preferences_payload_leaves_the_other_toggles_alone(customer):
    form = form_for(Category.PREFERENCES, customer=customer, data={"marketing_sms": "true"})
    assert form.is_valid(), form.errors
    drafts = drafts_for(
        category=Category.PREFERENCES, cleaned_data=form.cleaned_data, customer=customer
    )
    assert [d.field for d in drafts] == ["preferences.marketing_sms"]


def test_turning_off_every_confirmation_channel_is_refused(customer):
    data = {"confirm_by_email": "false", "confirm_by_sms": "false", "confirm_in_app": "false"}
    form = form_for(Category.PREFERENCES, customer=customer, data=data)
    assert not form.is_valid()
    assert form.non_field_errors()


def test_unlinking_needs_an_account_of_this_customer(customer):
    form = form_for(Category.LINKED_ACCOUNTS, customer=customer, data={"unlink": ["12345"]})
    assert not form.is_valid()
    assert "unlink" in form.errors


def test_an_avatar_that_is_not_an_accepted_image_is_an_error_on_its_field(customer):
    buffer = io.BytesIO()
    Image.new("P", (10, 10)).save(buffer, format="GIF")
    upload = SimpleUploadedFile("me.gif", buffer.getvalue(), content_type="image/gif")
    form = form_for(Category.AVATAR, customer=customer, data={}, files={"image": upload})
    assert not form.is_valid()
    assert form.errors["image"] == ["Upload a JPEG, PNG or WebP image."]


def test_every_form_class_is_registered_under_its_category():
    assert {cls.category for cls in FORMS.values()} == set(Category.values)
    assert all(FORMS[category].category == category for category in FORMS)


# --- "today" is the client's; no customer yet ------------------------------------------


def _card_expiring(month: int, year: int) -> dict:
    return {
        "card_number": "4111 1111 1111 1111",
        "card_exp_month": str(month),
        "card_exp_year": str(year),
        "card_holder_name": "Grace Hopper",
    }


@pytest.mark.parametrize(("zone", "expired"), [("Europe/London", False), ("Asia/Tokyo", True)])
def test_a_card_expires_by_the_client_s_calendar_not_the_server_s(customer, zone, expired):
    """At 20:00 UTC on 31 December it is already January in Tokyo: a card that runs to
    December has expired there and is still good in London."""
    customer.client.time_zone = zone
    customer.client.save(update_fields=["time_zone"])
    with time_machine.travel(dt.datetime(2030, 12, 31, 20, 0, tzinfo=dt.UTC), tick=False):
        form = form_for(Category.BILLING, customer=customer, data=_card_expiring(12, 2030))
        assert form.is_valid() is not expired
    if expired:
        assert form.errors == {"card_exp_month": ["This card has expired."]}


@pytest.mark.parametrize(("zone", "plausible"), [("UTC", False), ("Pacific/Kiritimati", True)])
def test_a_sixteenth_birthday_is_counted_on_the_client_s_calendar(customer, zone, plausible):
    """Noon UTC on 1 June is already 2 June in Kiritimati (UTC+14): someone born on
    2 June 2014 turns sixteen there (old enough), not yet by UTC."""
    customer.client.time_zone = zone
    customer.client.save(update_fields=["time_zone"])
    with time_machine.travel(dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.UTC), tick=False):
        form = form_for(Category.PERSONAL, customer=customer, data={"date_of_birth": "2014-06-02"})
        assert form.is_valid() is plausible, form.errors


def test_a_form_for_no_customer_yet_needs_the_client(northwind):
    with pytest.raises(ValueError, match="client"):
        form_for(Category.CONTACT, customer=None)
    form = form_for(
        Category.CONTACT, customer=None, client=northwind, data={"phone": "07911 123456"}
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "+447911123456"  # the client's home country
    assert form.fields["email_target"].choices == [("", "Add a new address")]


@pytest.mark.parametrize("key", ["cvv", "CVC2", "card-security-code", "csc"])
def test_every_change_form_refuses_a_card_security_code(customer, key):
    form = form_for(Category.PERSONAL, customer=customer, data={"legal_name": "G H", key: "1"})
    assert not form.is_valid()
    assert "CVV" in form.non_field_errors()[0]


def test_a_wrong_choice_is_never_repeated_in_its_message(customer):
    form = form_for(Category.PERSONAL, customer=customer, data={"gender": "4111111111111111"})
    assert form.errors["gender"] == ["Not one of the allowed values."]
