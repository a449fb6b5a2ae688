"""Validators for every value a change request can carry (docs/design.md §5).

Each function takes what a person typed and returns the value normalised the way the
profile stores it, or raises Django's `ValidationError` with a message an agent can read
out to the caller. Nothing else escapes: arbitrary text gives a `ValidationError`, never
a 500 (hypothesis holds the parsers to it). No message ever repeats a card number.

Country codes are ISO 3166-1 alpha-2 ("GB", "ES"), in either case.
"""

import contextlib
import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from types import ModuleType

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from email_validator import EmailNotValidError, validate_email
from PIL import Image, UnidentifiedImageError
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.at import postal_code as at_postal_code
from stdnum.at import tin as at_tin
from stdnum.au import abn as au_abn
from stdnum.au import acn as au_acn
from stdnum.au import tfn as au_tfn
from stdnum.be import nn as be_nn
from stdnum.be import vat as be_vat
from stdnum.ca import bn as ca_bn
from stdnum.ca import sin as ca_sin
from stdnum.ch import ssn as ch_ssn
from stdnum.ch import uid as ch_uid
from stdnum.ch import vat as ch_vat
from stdnum.de import idnr as de_idnr
from stdnum.de import stnr as de_stnr
from stdnum.dk import cpr as dk_cpr
from stdnum.dk import cvr as dk_cvr
from stdnum.es import dni as es_dni
from stdnum.es import nie as es_nie
from stdnum.es import nif as es_nif
from stdnum.es import postal_code as es_postal_code
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fi import hetu as fi_hetu
from stdnum.fi import ytunnus as fi_ytunnus
from stdnum.fr import nif as fr_nif
from stdnum.fr import nir as fr_nir
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret
from stdnum.gb import utr as gb_utr
from stdnum.gb import vat as gb_vat
from stdnum.ie import pps as ie_pps
from stdnum.ie import vat as ie_vat
from stdnum.it import codicefiscale as it_codicefiscale
from stdnum.it import iva as it_iva
from stdnum.nl import bsn as nl_bsn
from stdnum.nl import postcode as nl_postcode
from stdnum.no import fodselsnummer as no_fodselsnummer
from stdnum.no import mva as no_mva
from stdnum.no import orgnr as no_orgnr
from stdnum.pl import nip as pl_nip
from stdnum.pl import pesel as pl_pesel
from stdnum.pt import cc as pt_cc
from stdnum.pt import nif as pt_nif
from stdnum.se import orgnr as se_orgnr
from stdnum.se import personnummer as se_personnummer
from stdnum.se import postal_code as se_postal_code
from stdnum.us import ssn as us_ssn
from stdnum.us import tin as us_tin

from profiledesk.vault.cards import (
    CardNumberError,
    card_brand,
    redact_card_numbers,
    validate_card_number,
)

# Longer input than this is not worth parsing: no identifier or address field is near it.
_MAX_INPUT = 256

# Names for the countries the desk knows rules for (used in messages and form choices).
COUNTRY_NAMES: dict[str, str] = {
    "AT": gettext_lazy("Austria"),
    "AU": gettext_lazy("Australia"),
    "BE": gettext_lazy("Belgium"),
    "CA": gettext_lazy("Canada"),
    "CH": gettext_lazy("Switzerland"),
    "DE": gettext_lazy("Germany"),
    "DK": gettext_lazy("Denmark"),
    "ES": gettext_lazy("Spain"),
    "FI": gettext_lazy("Finland"),
    "FR": gettext_lazy("France"),
    "GB": gettext_lazy("the United Kingdom"),
    "IE": gettext_lazy("Ireland"),
    "IT": gettext_lazy("Italy"),
    "NL": gettext_lazy("the Netherlands"),
    "NO": gettext_lazy("Norway"),
    "PL": gettext_lazy("Poland"),
    "PT": gettext_lazy("Portugal"),
    "SE": gettext_lazy("Sweden"),
    "US": gettext_lazy("the United States"),
}


def _country_name(country: str) -> str:
    return str(COUNTRY_NAMES.get(country, country))


def _text(value, *, max_length: int = _MAX_INPUT) -> str:
    """`value` as stripped, NFKC-normalised text (full-width digits become ASCII ones);
    too long is an error."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(_("Enter text."), code="invalid")
    text = unicodedata.normalize("NFKC", value).strip()
    if len(text) > max_length:
        raise ValidationError(
            _("This value is too long (at most %(max)d characters)."),
            code="max_length",
            params={"max": max_length},
        )
    return text


def _country(country) -> str:
    code = (country or "").strip().upper() if isinstance(country, str) else ""
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise ValidationError(_("Choose a country."), code="country")
    return code


# --- free text ----------------------------------------------------------------------


# Bidirectional controls turn "txt.exe" into "exe.txt" on screen and reorder what a
# reviewer reads; zero-width characters hide inside a word so that two values that look the
# same differ (or a card number slips past a filter). No name, summary or comment needs them.
INVISIBLE_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # isolates
    "\u200e\u200f\u061c"  # direction marks
    "\u200b\u200c\u200d\u2060\ufeff"  # zero-width space, non-joiner, joiner, word joiner, BOM
)
INVISIBLE_MESSAGE = gettext_lazy(
    "Remove the invisible or direction-changing characters (such as a right-to-left "
    "override or a zero-width space) from this value."
)


def validate_no_invisible(value) -> None:
    """The one rule for free text every entry point binds (desk forms, API serializers);
    inbound e-mail, which nobody can correct, uses strip_invisible instead."""
    if isinstance(value, str) and any(ch in INVISIBLE_CONTROLS for ch in value):
        raise ValidationError(INVISIBLE_MESSAGE, code="invisible")


def strip_invisible(text: str) -> tuple[str, bool]:
    """`text` without bidi controls and zero-width characters, and whether it had any."""
    cleaned = "".join(ch for ch in text or "" if ch not in INVISIBLE_CONTROLS)
    return cleaned, cleaned != (text or "")


def validate_free_text(value: str, *, max_length: int = 200) -> str:
    """A name, an address line, a job title: spaces collapsed, no control characters,
    and never a card number (a card typed into the wrong field must not be stored)."""
    text = " ".join(_text(value, max_length=max_length * 2).split())
    if len(text) > max_length:
        raise ValidationError(
            _("This value is too long (at most %(max)d characters)."),
            code="max_length",
            params={"max": max_length},
        )
    validate_no_invisible(text)
    if any(unicodedata.category(ch) in ("Cc", "Co", "Cs") for ch in text):
        raise ValidationError(_("Remove the special characters from this value."), code="control")
    if redact_card_numbers(text) != text:
        raise ValidationError(
            _("This looks like a card number: card numbers go only in the card field."),
            code="card_number",
        )
    return text


# --- e-mail and phone ---------------------------------------------------------------


def normalise_email(value: str) -> str:
    """A syntactically valid e-mail address, lower-cased: " Ana@Example.COM" -> "ana@example.com".

    Deliverability is not checked (no DNS from the desk); the new address is proven by
    its own one-time code before it becomes primary (docs/design.md §4).
    """
    text = _text(value, max_length=254)
    if not text:
        raise ValidationError(_("Enter an e-mail address."), code="required")
    try:
        result = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise ValidationError(
            _("Enter a valid e-mail address, such as name@example.com."), code="invalid"
        ) from None
    return result.normalized.lower()


def normalise_phone(value: str, region: str | None = None) -> str:
    """A valid phone number in E.164 ("+447911123456"). Numbers without "+" are read as
    numbers of `region` (the customer's country): "07911 123456" with "GB"."""
    text = _text(value, max_length=64)
    if not text:
        raise ValidationError(_("Enter a phone number."), code="required")
    region_code = region.strip().upper() if isinstance(region, str) and region.strip() else None
    try:
        parsed = phonenumbers.parse(text, region_code)
    except phonenumbers.NumberParseException:
        if region_code is None and not text.startswith("+"):
            raise ValidationError(
                _("Enter the number with its country code, such as +44 7911 123456."),
                code="invalid",
            ) from None
        raise ValidationError(
            _("Enter a valid phone number, such as +44 7911 123456."), code="invalid"
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            _("This is not a valid phone number: check the digits and the country code."),
            code="invalid",
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# --- postal codes -------------------------------------------------------------------


def _regex_postcode(pattern: str, fmt: Callable[[re.Match[str]], str] | None = None):
    """A postal-code rule from a regular expression over the code without spaces."""
    regex = re.compile(pattern)

    def check(compact: str) -> str | None:
        match = regex.fullmatch(compact)
        if match is None:
            return None
        return fmt(match) if fmt else compact

    return check


def _stdnum_postcode(module: ModuleType, fmt: Callable[[str], str] | None = None):
    def check(compact: str) -> str | None:
        try:
            number = module.validate(compact)
        except StdnumError:
            return None
        return fmt(number) if fmt else number

    return check


def _two_parts(match: re.Match[str]) -> str:
    return f"{match.group(1)} {match.group(2)}"


def _dashed(match: re.Match[str]) -> str:
    return f"{match.group(1)}-{match.group(2)}"


# Royal Mail's rules: outward code (area, district, optional sub-district) then inward.
_GB = (
    r"(GIR(?=0AA)|[A-PR-UWYZ](?:\d{1,2}|[A-HK-Y]\d{1,2}|\d[A-HJKPSTUW]|[A-HK-Y]\d[ABEHMNPRV-Y]))"
    r"(\d[ABD-HJLNP-UW-Z]{2})"
)

# country -> (check(compact) -> normalised or None, an example for the message)
_POSTCODES: dict[str, tuple[Callable[[str], str | None], str]] = {
    "GB": (_regex_postcode(_GB, _two_parts), "SW1A 2AA"),
    # Eircode: routing key (letter + two digits, or D6W) and a four-character identifier.
    "IE": (
        _regex_postcode(r"([ACDEFHKNPRTVWXY]\d{2}|D6W)([0-9ACDEFHKNPRTVWXY]{4})", _two_parts),
        "D02 X285",
    ),
    "US": (
        _regex_postcode(
            r"(\d{5})(?:-?(\d{4}))?",
            lambda m: f"{m.group(1)}-{m.group(2)}" if m.group(2) else m.group(1),
        ),
        "10001",
    ),
    "CA": (
        _regex_postcode(
            r"([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])(\d[ABCEGHJ-NPRSTV-Z]\d)", _two_parts
        ),
        "K1A 0B1",
    ),
    "ES": (_stdnum_postcode(es_postal_code), "28001"),
    # Départements 01-95 and overseas 97x/98x (Corsica kept its 20xxx codes).
    "FR": (_regex_postcode(r"(?:0[1-9]|[1-8]\d|9[0-578])\d{3}"), "75008"),
    "DE": (_regex_postcode(r"(?:0[1-9]|[1-9]\d)\d{3}"), "10115"),
    "NL": (_stdnum_postcode(nl_postcode), "1012 AB"),
    "IT": (_regex_postcode(r"\d{5}"), "00184"),
    "PT": (_regex_postcode(r"([1-9]\d{3})-?(\d{3})", _dashed), "1100-148"),
    "BE": (_regex_postcode(r"[1-9]\d{3}"), "1000"),
    # Four digits; the Northern Territory and ACT ranges start with 0.
    "AU": (_regex_postcode(r"0[289]\d{2}|[1-9]\d{3}"), "2000"),
    "AT": (_stdnum_postcode(at_postal_code), "1010"),
    "CH": (_regex_postcode(r"[1-9]\d{3}"), "8001"),
    "DK": (_regex_postcode(r"[1-9]\d{3}"), "1050"),
    "NO": (_regex_postcode(r"\d{4}"), "0150"),
    "SE": (_stdnum_postcode(se_postal_code, se_postal_code.format), "114 55"),
    "PL": (_regex_postcode(r"(\d{2})-?(\d{3})", _dashed), "00-950"),
}
POSTAL_CODE_COUNTRIES = frozenset(_POSTCODES)

# Elsewhere: letters, digits, single spaces and dashes, as postal services use them.
_ANY_POSTCODE = re.compile(r"[A-Z0-9](?:[A-Z0-9]|[ -](?=[A-Z0-9])){1,11}")


def validate_postal_code(value: str, country: str) -> str:
    """The postal code of `country` as the post office writes it ("sw1a2aa" -> "SW1A 2AA").

    The countries in POSTAL_CODE_COUNTRIES are checked against their national format;
    elsewhere the code only has to look like a postal code.
    """
    code = _country(country)
    text = _text(value, max_length=20).upper()
    if not text:
        raise ValidationError(_("Enter a postal code."), code="required")
    rule = _POSTCODES.get(code)
    if rule is None:
        text = " ".join(text.split())
        if _ANY_POSTCODE.fullmatch(text):
            return text
        raise ValidationError(_("Enter a valid postal code."), code="invalid")
    check, example = rule
    compact = re.sub(r"[\s]", "", text)
    normalised = check(compact) if re.fullmatch(r"[A-Z0-9-]+", compact) else None
    if normalised is None:
        raise ValidationError(
            _("Enter a valid postal code for %(country)s, such as %(example)s."),
            code="invalid",
            params={"country": _country_name(code), "example": example},
        )
    return normalised


# --- date of birth ------------------------------------------------------------------

MIN_AGE = 16
MAX_AGE = 120


def _age(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def validate_date_of_birth(value: dt.date, *, today: dt.date | None = None) -> dt.date:
    """A plausible date of birth: not in the future, a customer aged 16 to 120."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        raise ValidationError(_("Enter a valid date."), code="invalid")
    today = today or timezone.localdate()
    if value > today:
        raise ValidationError(_("A date of birth cannot be in the future."), code="future")
    age = _age(value, today)
    if age < MIN_AGE:
        raise ValidationError(
            _("The customer must be at least %(min)d years old."),
            code="too_young",
            params={"min": MIN_AGE},
        )
    if age > MAX_AGE:
        raise ValidationError(
            _("Check the year: that would make the customer older than %(max)d."),
            code="too_old",
            params={"max": MAX_AGE},
        )
    return value


# --- national IDs, tax IDs and VAT numbers ------------------------------------------


class _Nino:
    """UK National Insurance number: HMRC's prefix rules, six digits, suffix A-D.

    (python-stdnum has no NINO module; there is no check digit, only the format.)
    """

    _FORMAT = re.compile(r"(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]")

    @staticmethod
    def compact(number: str) -> str:
        return re.sub(r"[\s-]", "", number).upper()

    @classmethod
    def validate(cls, number: str) -> str:
        compact = cls.compact(number)
        if not cls._FORMAT.fullmatch(compact):
            raise InvalidFormat()
        return compact


# country -> the identifiers accepted for it (the first that validates wins)
NATIONAL_IDS: dict[str, tuple[ModuleType | type, ...]] = {
    "GB": (_Nino,),
    "IE": (ie_pps,),
    "US": (us_ssn,),
    "CA": (ca_sin,),
    "ES": (es_dni, es_nie),
    "FR": (fr_nir,),
    "DE": (de_idnr,),
    "NL": (nl_bsn,),
    "IT": (it_codicefiscale,),
    "PT": (pt_cc,),
    "BE": (be_nn,),
    "CH": (ch_ssn,),
    "SE": (se_personnummer,),
    "DK": (dk_cpr,),
    "NO": (no_fodselsnummer,),
    "FI": (fi_hetu,),
    "PL": (pl_pesel,),
}

TAX_IDS: dict[str, tuple[ModuleType | type, ...]] = {
    "GB": (gb_utr,),
    "IE": (ie_pps, ie_vat),
    "US": (us_tin,),  # EIN, SSN, ITIN, ATIN, PTIN
    "CA": (ca_bn, ca_sin),
    "ES": (es_nif,),  # DNI, NIE and CIF
    "FR": (fr_siren, fr_siret, fr_nif),
    "DE": (de_stnr, de_idnr),
    "NL": (nl_bsn,),  # an RSIN follows the BSN's rules
    "IT": (it_iva, it_codicefiscale),
    "PT": (pt_nif,),
    "BE": (be_vat,),  # the enterprise number
    "AU": (au_abn, au_acn, au_tfn),
    "AT": (at_tin,),
    "CH": (ch_uid,),
    "DK": (dk_cvr, dk_cpr),
    "NO": (no_orgnr,),
    "SE": (se_orgnr, se_personnummer),
    "FI": (fi_ytunnus,),
    "PL": (pl_nip,),
}


def _by_check_digits(value, modules, *, what: str, country: str) -> str:
    """Compact `value` if one of `modules` accepts it, or the most useful error."""
    text = _text(value, max_length=64)
    if not text:
        raise ValidationError(_("Enter the %(what)s."), code="required", params={"what": what})
    errors: list[StdnumError] = []
    for module in modules:
        try:
            return str(module.validate(text))
        except StdnumError as error:
            errors.append(error)
    params = {"what": what, "country": _country_name(country)}
    if any(isinstance(e, InvalidChecksum) for e in errors):
        raise ValidationError(
            _("This %(what)s is not valid: its check digits do not match. Check for a typo."),
            code="checksum",
            params=params,
        )
    if all(isinstance(e, InvalidLength) for e in errors):
        raise ValidationError(
            _("This %(what)s has the wrong number of characters for %(country)s."),
            code="length",
            params=params,
        )
    raise ValidationError(
        _("This is not a valid %(what)s for %(country)s."), code="invalid", params=params
    )


def validate_national_id(value: str, country: str) -> str:
    """A national identity number of `country`, checked by its check digits (python-stdnum)
    or, for the UK's National Insurance number, its format. Returned compact."""
    code = _country(country)
    modules = NATIONAL_IDS.get(code)
    if modules is None:
        raise ValidationError(
            _(
                "The desk cannot check national IDs from %(country)s: ask for an identity "
                "document instead."
            ),
            code="unsupported_country",
            params={"country": _country_name(code)},
        )
    return _by_check_digits(value, modules, what=_("national ID"), country=code)


def validate_tax_id(value: str, country: str) -> str:
    """A tax identifier of `country` (company or personal), checked by its check digits."""
    code = _country(country)
    modules = TAX_IDS.get(code)
    if modules is None:
        raise ValidationError(
            _("The desk cannot check tax IDs from %(country)s."),
            code="unsupported_country",
            params={"country": _country_name(code)},
        )
    return _by_check_digits(value, modules, what=_("tax ID"), country=code)


# VAT numbers outside the EU that python-stdnum knows; "XI" is Northern Ireland (EU rules).
_NON_EU_VAT: dict[str, ModuleType] = {"GB": gb_vat, "CH": ch_vat, "NO": no_mva}


def validate_vat(value: str) -> str:
    """A VAT number with its country prefix ("DE 136 695 976" -> "DE136695976"), checked
    by its check digits. EU member states (Greece as "EL"), Northern Ireland ("XI"), the
    UK, Switzerland and Norway."""
    text = _text(value, max_length=64)
    compact = re.sub(r"[\s.\-/]", "", text).upper()
    if not compact:
        raise ValidationError(_("Enter the VAT number."), code="required")
    prefix = compact[:2]
    if not re.fullmatch(r"[A-Z]{2}", prefix):
        raise ValidationError(
            _("Start the VAT number with its country code, such as DE136695976."),
            code="prefix",
        )
    eu_code = "gr" if prefix == "EL" else prefix.lower()
    if eu_code in eu_vat.MEMBER_STATES:
        module = eu_vat
    elif prefix in _NON_EU_VAT:
        module = _NON_EU_VAT[prefix]
    else:
        raise ValidationError(
            _("The desk cannot check VAT numbers from %(country)s."),
            code="unsupported_country",
            params={"country": _country_name(prefix)},
        )
    try:
        number = module.validate(compact)
    except StdnumError as error:
        if isinstance(error, InvalidChecksum):
            message = _("This VAT number is not valid: its check digits do not match.")
        else:
            message = _("This is not a valid VAT number for %(country)s.")
        raise ValidationError(
            message, code="invalid", params={"country": _country_name(prefix)}
        ) from None
    number = str(number)
    # Some national modules drop the prefix: put it back so the number says its country.
    return number if number[:2] == prefix else f"{prefix}{number}"


# --- IBAN and cards -----------------------------------------------------------------


def validate_iban(value: str) -> str:
    """An IBAN checked by its check digits and national format, compact
    ("gb82 west 1234 5698 7654 32" -> "GB82WEST12345698765432")."""
    text = _text(value, max_length=64)
    if not text:
        raise ValidationError(_("Enter the IBAN."), code="required")
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}", re.sub(r"[\s-]", "", text).upper()):
        raise ValidationError(
            _("This is not a valid IBAN: it starts with a country code, such as GB82 WEST …"),
            code="invalid",
        )
    try:
        return stdnum_iban.validate(text)
    except StdnumError as error:
        if isinstance(error, InvalidChecksum):
            raise ValidationError(
                _("This IBAN is not valid: its check digits do not match. Check for a typo."),
                code="checksum",
            ) from None
        raise ValidationError(
            _("This is not a valid IBAN: it starts with a country code, such as GB82 WEST …"),
            code="invalid",
        ) from None


def validate_card(number: str) -> str:
    """The compact card number if it is Luhn-valid and of a brand the desk accepts.

    The number is never put in the error message (PCI DSS 3.3/3.4): messages name the
    problem, not the digits. The caller hands the result to the vault and drops it.
    """
    try:
        text = _text(number, max_length=40)
    except ValidationError:
        raise ValidationError(_("Enter a card number."), code="invalid") from None
    digits = re.sub(r"[\s-]", "", text)
    if not digits:
        raise ValidationError(_("Enter a card number."), code="required")
    if not re.fullmatch(r"[0-9]{12,19}", digits):
        raise ValidationError(_("A card number has 12 to 19 digits."), code="length")
    if not luhn.is_valid(digits):
        raise ValidationError(
            _("This card number is not valid: check the digits."), code="checksum"
        )
    if card_brand(digits) is None:
        raise ValidationError(_("This card brand is not accepted."), code="brand")
    try:
        return validate_card_number(digits)
    except CardNumberError:  # the vault's own rules; its message is safe but English
        raise ValidationError(_("This card number is not accepted."), code="invalid") from None


# --- avatar -------------------------------------------------------------------------

AVATAR_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_MAX_SIDE = 4096


def validate_avatar(file):
    """An uploaded avatar: a real JPEG, PNG or WebP image of at most 2 MB and 4096 pixels
    a side. Returns the file, rewound; sets `file.image_format` ("JPEG", "PNG", "WEBP")
    and `file.image_size` ((width, height))."""
    if file is None:
        raise ValidationError(_("Choose an image."), code="required")
    size = getattr(file, "size", None)
    if size is None:
        raise ValidationError(_("Upload an image file."), code="invalid")
    if size > AVATAR_MAX_BYTES:
        raise ValidationError(
            _("The image is too large: at most %(max)s MB."),
            code="file_size",
            params={"max": AVATAR_MAX_BYTES // (1024 * 1024)},
        )
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    not_an_image = ValidationError(_("Upload a JPEG, PNG or WebP image."), code="invalid_image")
    try:
        file.seek(0)
        with Image.open(file) as image:
            image_format, (width, height) = image.format, image.size
            if image_format not in AVATAR_FORMATS:
                raise not_an_image
            if width > AVATAR_MAX_SIDE or height > AVATAR_MAX_SIDE:
                raise ValidationError(
                    _("The image is too big: at most %(max)d pixels on each side."),
                    code="dimensions",
                    params={"max": AVATAR_MAX_SIDE},
                )
            image.verify()
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise not_an_image from None
    except Exception:  # Pillow raises many kinds on a damaged file
        raise not_an_image from None
    finally:
        with contextlib.suppress(Exception):  # a closed or unseekable file: nothing to do
            file.seek(0)
    file.image_format = image_format
    file.image_size = (width, height)
    return file


# --- card security codes ------------------------------------------------------------

# Names a card-security-code field arrives under (an API client, a copied checkout form,
# a browser extension): "CVV", "card-cvc" and "Card_Security_Code" are all this.
CARD_SECURITY_CODE_KEYS = frozenset(
    {"cvv", "cvv2", "cvc", "cvc2", "csc", "cid", "security_code", "card_cvv", "card_cvc",
     "card_security_code"}
)  # fmt: skip


def is_card_security_code(key: object) -> bool:
    return str(key).strip().lower().replace("-", "_") in CARD_SECURITY_CODE_KEYS


def refuse_card_security_code(keys) -> None:
    """The desk never takes a card's security code (PCI DSS 3.3.1): a CVV under any of
    its names is refused, whatever its value, before anything is kept."""
    if any(is_card_security_code(key) for key in keys):
        raise ValidationError(
            _("The desk never takes a card's security code (CVV): leave it out."), code="cvv"
        )
