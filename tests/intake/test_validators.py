"""Every validator: good values come back normalised, bad ones give a clear message."""

import contextlib
import datetime as dt
import io

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from stdnum import iban as stdnum_iban
from stdnum import luhn

from profiledesk.intake import validators as v


def message(excinfo) -> str:
    return " ".join(excinfo.value.messages)


# --- e-mail -------------------------------------------------------------------------


def test_an_email_address_is_trimmed_and_lower_cased():
    assert v.normalise_email("  Ana.Garcia@Example.COM ") == "ana.garcia@example.com"


@pytest.mark.parametrize(
    "value", ["ana", "ana@", "@example.com", "ana@example", "ana@@example.com", "a b@example.com"]
)
def test_a_malformed_email_address_is_refused_with_an_example(value):
    with pytest.raises(ValidationError) as excinfo:
        v.normalise_email(value)
    assert "name@example.com" in message(excinfo)


def test_an_empty_email_address_asks_for_one():
    with pytest.raises(ValidationError) as excinfo:
        v.normalise_email("   ")
    assert excinfo.value.code == "required"


# --- phone --------------------------------------------------------------------------


def test_a_national_phone_number_is_read_in_the_customers_country():
    assert v.normalise_phone("07911 123456", "GB") == "+447911123456"
    assert v.normalise_phone("612 34 56 78", "ES") == "+34612345678"


def test_an_international_phone_number_needs_no_country():
    assert v.normalise_phone("+1 (415) 555-2671") == "+14155552671"


def test_a_national_number_without_a_country_asks_for_the_country_code():
    with pytest.raises(ValidationError) as excinfo:
        v.normalise_phone("07911 123456")
    assert "country code" in message(excinfo)


@pytest.mark.parametrize("value", ["123", "+44 1234", "+999 123456789", "call me"])
def test_a_phone_number_that_cannot_exist_is_refused(value):
    with pytest.raises(ValidationError):
        v.normalise_phone(value, "GB")


# --- postal codes -------------------------------------------------------------------

GOOD_POSTCODES = [
    ("GB", "sw1a2aa", "SW1A 2AA"),
    ("GB", "EC1A 1BB", "EC1A 1BB"),
    ("GB", "m1 1ae", "M1 1AE"),
    ("IE", "d02x285", "D02 X285"),
    ("US", "10001", "10001"),
    ("US", "10001 1234", "10001-1234"),
    ("CA", "k1a0b1", "K1A 0B1"),
    ("ES", "28001", "28001"),
    ("FR", "75008", "75008"),
    ("DE", "10115", "10115"),
    ("NL", "1012ab", "1012 AB"),
    ("IT", "00184", "00184"),
    ("PT", "1100148", "1100-148"),
    ("BE", "1000", "1000"),
    ("AU", "0800", "0800"),
    ("AT", "1010", "1010"),
    ("SE", "11455", "114 55"),
    ("PL", "00950", "00-950"),
]


@pytest.mark.parametrize(("country", "typed", "stored"), GOOD_POSTCODES)
def test_a_postal_code_is_written_the_way_its_post_office_writes_it(country, typed, stored):
    assert v.validate_postal_code(typed, country) == stored


def test_at_least_ten_countries_have_their_own_postal_code_rules():
    assert len(v.POSTAL_CODE_COUNTRIES) >= 10
    assert {"GB", "IE", "US", "CA", "ES", "FR", "DE", "NL", "IT", "PT", "BE", "AU"} <= (
        v.POSTAL_CODE_COUNTRIES
    )


@pytest.mark.parametrize(
    ("country", "typed"),
    [
        ("GB", "QQ1 1AA"),  # no area starts with Q
        ("GB", "SW1A 2CI"),  # C and I are never in the inward code
        ("IE", "B02 X285"),  # B is not a routing-key letter
        ("US", "1000"),
        ("CA", "D1A 0B1"),  # D is not a Canadian first letter
        ("ES", "99001"),  # there is no province 99
        ("FR", "96000"),
        ("DE", "00999"),
        ("NL", "0123 AB"),
        ("IT", "1234"),
        ("PT", "0100-001"),
        ("BE", "0999"),
        ("AU", "0100"),
    ],
)
def test_a_postal_code_that_breaks_its_countrys_format_is_refused_with_an_example(country, typed):
    with pytest.raises(ValidationError) as excinfo:
        v.validate_postal_code(typed, country)
    assert "such as" in message(excinfo)


def test_a_postal_code_of_another_country_only_has_to_look_like_one():
    assert v.validate_postal_code("100-0001", "JP") == "100-0001"
    with pytest.raises(ValidationError):
        v.validate_postal_code("<script>", "JP")


def test_a_postal_code_needs_a_country():
    with pytest.raises(ValidationError) as excinfo:
        v.validate_postal_code("SW1A 2AA", "")
    assert excinfo.value.code == "country"


# --- date of birth ------------------------------------------------------------------

TODAY = dt.date(2026, 6, 15)


def test_a_plausible_date_of_birth_is_accepted():
    assert v.validate_date_of_birth(dt.date(1984, 3, 7), today=TODAY) == dt.date(1984, 3, 7)


def test_a_customer_turning_sixteen_today_is_old_enough():
    assert v.validate_date_of_birth(dt.date(2010, 6, 15), today=TODAY)


@pytest.mark.parametrize(
    ("born", "code"),
    [
        (dt.date(2026, 6, 16), "future"),
        (dt.date(2010, 6, 16), "too_young"),  # sixteen tomorrow
        (dt.date(1905, 6, 14), "too_old"),
    ],
)
def test_an_implausible_date_of_birth_is_refused(born, code):
    with pytest.raises(ValidationError) as excinfo:
        v.validate_date_of_birth(born, today=TODAY)
    assert excinfo.value.code == code


# --- national IDs, tax IDs, VAT -----------------------------------------------------

GOOD_NATIONAL_IDS = [
    ("GB", "ab 12 34 56 c", "AB123456C"),
    ("IE", "6433435F", "6433435F"),
    ("US", "536-90-4399", "536904399"),
    ("CA", "130 692 544", "130692544"),
    ("ES", "12345678z", "12345678Z"),
    ("ES", "X1234567L", "X1234567L"),
    ("FR", "2 95 10 99 126 111 93", "295109912611193"),
    ("DE", "36574261809", "36574261809"),
    ("NL", "111222333", "111222333"),
    ("IT", "RSSMRA85T10A562S", "RSSMRA85T10A562S"),
    ("BE", "85.07.30-033.28", "85073003328"),
]


@pytest.mark.parametrize(("country", "typed", "stored"), GOOD_NATIONAL_IDS)
def test_a_national_id_with_good_check_digits_is_kept_compact(country, typed, stored):
    assert v.validate_national_id(typed, country) == stored


def test_a_national_id_with_a_typo_is_refused_for_its_check_digits():
    with pytest.raises(ValidationError) as excinfo:
        v.validate_national_id("12345678A", "ES")  # the letter for 12345678 is Z
    assert excinfo.value.code == "checksum"
    assert "check digits" in message(excinfo)


@pytest.mark.parametrize("nino", ["QQ123456C", "DA123456C", "GB123456A", "AB123456E", "AB12345C"])
def test_a_national_insurance_number_outside_hmrcs_rules_is_refused(nino):
    with pytest.raises(ValidationError):
        v.validate_national_id(nino, "GB")


def test_a_national_id_of_a_country_the_desk_cannot_check_asks_for_a_document():
    with pytest.raises(ValidationError) as excinfo:
        v.validate_national_id("123456789", "AU")
    assert excinfo.value.code == "unsupported_country"
    assert "identity document" in message(excinfo)


@pytest.mark.parametrize(
    ("country", "typed", "stored"),
    [
        ("GB", "1955839661", "1955839661"),  # UTR
        ("US", "12-3456789", "123456789"),  # EIN
        ("ES", "B58378431", "B58378431"),  # CIF
        ("FR", "732 829 320", "732829320"),  # SIREN
        ("IT", "00743110157", "00743110157"),  # partita IVA
        ("PT", "501964843", "501964843"),  # NIF
        ("AU", "51 824 753 556", "51824753556"),  # ABN
    ],
)
def test_a_tax_id_with_good_check_digits_is_kept_compact(country, typed, stored):
    assert v.validate_tax_id(typed, country) == stored


def test_a_tax_id_with_a_typo_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        v.validate_tax_id("732829321", "FR")
    assert "tax ID" in message(excinfo)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("DE 136 695 976", "DE136695976"),
        ("gb980780684", "GB980780684"),
        ("EL094259216", "EL094259216"),
        ("NL004495445B01", "NL004495445B01"),
        ("CHE-116.281.710 MWST", "CHE116281710MWST"),
    ],
)
def test_a_vat_number_with_its_country_prefix_is_checked_and_compacted(typed, stored):
    assert v.validate_vat(typed) == stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [("136695976", "prefix"), ("DE136695977", "invalid"), ("US123456789", "unsupported_country")],
)
def test_a_vat_number_without_prefix_or_with_bad_digits_is_refused(typed, code):
    with pytest.raises(ValidationError) as excinfo:
        v.validate_vat(typed)
    assert excinfo.value.code == code


# --- IBAN and card ------------------------------------------------------------------


def test_an_iban_is_checked_and_compacted():
    assert v.validate_iban("gb82 west 1234 5698 7654 32") == "GB82WEST12345698765432"


def test_an_iban_with_a_typo_is_refused_for_its_check_digits():
    with pytest.raises(ValidationError) as excinfo:
        v.validate_iban("GB82WEST12345698765433")
    assert excinfo.value.code == "checksum"


def test_text_that_is_not_an_iban_says_what_an_iban_looks_like():
    with pytest.raises(ValidationError) as excinfo:
        v.validate_iban("my account")
    assert "country code" in message(excinfo)


def test_a_card_number_is_compacted():
    assert v.validate_card("4242 4242-4242 4242") == "4242424242424242"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("4242 4242 4242 4241", "checksum"),
        ("4242", "length"),
        ("9999 9999 9999 9995", "brand"),  # Luhn-valid, but no brand
        ("4242-abcd-4242-4242", "length"),
    ],
)
def test_a_bad_card_number_is_refused_without_repeating_its_digits(number, code):
    with pytest.raises(ValidationError) as excinfo:
        v.validate_card(number)
    assert excinfo.value.code == code
    text = message(excinfo)
    assert "4242" not in text and "9999" not in text


# --- free text ----------------------------------------------------------------------


def test_free_text_has_its_spaces_collapsed():
    assert v.validate_free_text("  Grace   Brewster  Hopper ") == "Grace Brewster Hopper"


def test_a_card_number_typed_into_a_name_field_is_refused_without_its_digits():
    with pytest.raises(ValidationError) as excinfo:
        v.validate_free_text("Grace 4111 1111 1111 1111")
    assert excinfo.value.code == "card_number"
    assert "4111" not in message(excinfo)


def test_free_text_with_control_or_direction_override_characters_is_refused():
    for text in ("Grace\x00Hopper", "Grace\u202eHopper"):
        with pytest.raises(ValidationError):
            v.validate_free_text(text)


# --- avatar -------------------------------------------------------------------------


def image_file(fmt="PNG", size=(64, 64), name="avatar.png", mode="RGB") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new(mode, size, "teal").save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_jpeg_png_or_webp_avatar_is_accepted_and_described(fmt):
    file = v.validate_avatar(image_file(fmt, size=(120, 80)))
    assert file.image_format == fmt
    assert file.image_size == (120, 80)
    assert file.tell() == 0


def test_a_gif_avatar_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        v.validate_avatar(image_file("GIF", mode="P"))
    assert excinfo.value.code == "invalid_image"


def test_a_file_that_only_claims_to_be_an_image_is_refused():
    fake = SimpleUploadedFile("avatar.png", b"\x89PNG\r\n\x1a\n" + b"not really" * 50)
    with pytest.raises(ValidationError) as excinfo:
        v.validate_avatar(fake)
    assert excinfo.value.code == "invalid_image"


def test_an_avatar_over_two_megabytes_is_refused():
    big = SimpleUploadedFile("avatar.png", b"\0" * (2 * 1024 * 1024 + 1))
    with pytest.raises(ValidationError) as excinfo:
        v.validate_avatar(big)
    assert excinfo.value.code == "file_size"


def test_an_avatar_wider_than_4096_pixels_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        v.validate_avatar(image_file("PNG", size=(4097, 1), mode="1"))
    assert excinfo.value.code == "dimensions"


# --- properties: arbitrary text never escapes as anything but ValidationError -------

TEXT_PARSERS = [
    v.normalise_email,
    lambda t: v.normalise_phone(t, "GB"),
    lambda t: v.normalise_phone(t, None),
    lambda t: v.validate_postal_code(t, "GB"),
    lambda t: v.validate_postal_code(t, "NL"),
    lambda t: v.validate_postal_code(t, "JP"),
    lambda t: v.validate_national_id(t, "ES"),
    lambda t: v.validate_national_id(t, "GB"),
    lambda t: v.validate_national_id(t, "FR"),
    lambda t: v.validate_tax_id(t, "US"),
    lambda t: v.validate_tax_id(t, "DE"),
    v.validate_vat,
    v.validate_iban,
    v.validate_card,
    v.validate_free_text,
]

# Text people (and fuzzers) type: any Unicode, plus digit-heavy strings near the formats.
typed = st.one_of(
    st.text(max_size=80),
    st.text(alphabet="0123456789 -+()/.ABCDEFGHIJKLMNOPQRSTUVWXYZ", max_size=40),
    st.from_regex(r"[A-Z]{2}[0-9]{2}[A-Z0-9 ]{8,30}", fullmatch=True),
)


@pytest.mark.parametrize("parse", TEXT_PARSERS)
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=typed)
def test_a_parser_given_any_text_returns_or_raises_a_validation_error(parse, text):
    try:
        result = parse(text)
    except ValidationError:
        return
    assert isinstance(result, str)


@given(text=typed)
def test_whatever_a_parser_accepts_it_accepts_again_unchanged(text):
    """Normalised values are fixed points: saving and re-validating changes nothing."""
    for parse in TEXT_PARSERS:
        try:
            once = parse(text)
        except ValidationError:
            continue
        assert parse(once) == once


@given(number=st.from_regex(r"4[0-9]{14}", fullmatch=True), spaces=st.booleans())
def test_any_luhn_valid_visa_number_round_trips_compact(number, spaces):
    number += luhn.calc_check_digit(number)
    typed_number = " ".join(number[i : i + 4] for i in range(0, 16, 4)) if spaces else number
    assert v.validate_card(typed_number) == number


@given(account=st.from_regex(r"[0-9]{14}", fullmatch=True))
def test_any_iban_with_correct_check_digits_round_trips_compact(account):
    bban = f"WEST{account}"
    iban = f"GB{stdnum_iban.calc_check_digits(f'GB00{bban}')}{bban}"
    spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)).lower()
    assert v.validate_iban(spaced) == iban


@given(
    region=st.sampled_from(["GB", "ES", "DE", "FR", "US", "IE", "IT", "NL"]),
    data=st.data(),
)
def test_any_valid_example_phone_number_round_trips_to_e164(region, data):
    kind = data.draw(
        st.sampled_from(
            [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]
        )
    )
    example = phonenumbers.example_number_for_type(region, kind)
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
    assert v.normalise_phone(national, region) == e164
    assert v.normalise_phone(e164) == e164


@given(born=st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2200, 1, 1)))
def test_a_date_of_birth_is_accepted_exactly_when_the_age_is_16_to_120(born):
    age = TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day))
    try:
        v.validate_date_of_birth(born, today=TODAY)
    except ValidationError:
        assert born > TODAY or not 16 <= age <= 120
    else:
        assert born <= TODAY and 16 <= age <= 120


COUNTRY_PARSERS = [v.validate_postal_code, v.validate_national_id, v.validate_tax_id]


@given(
    text=typed,
    country=st.one_of(
        st.sampled_from(sorted(v.NATIONAL_IDS.keys() | v.TAX_IDS.keys() | v.POSTAL_CODE_COUNTRIES)),
        st.text(max_size=4),
    ),
)
def test_a_country_aware_parser_given_any_text_and_country_raises_only_validation_errors(
    text, country
):
    for parse in COUNTRY_PARSERS:
        with contextlib.suppress(ValidationError):
            assert isinstance(parse(text, country), str)
