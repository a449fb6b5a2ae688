"""Identifiers with real check digits (python-stdnum is the judge of each): national IDs,
company tax and VAT numbers, IBANs and test card numbers.

Numbers are made by drawing the digits and computing, or trying, the check character,
so a validator anywhere in the desk accepts them. They are random: none is meant to be
a real person's, and the card numbers start with issuers' test BINs.
"""

import datetime as dt
import random
import string
from collections.abc import Callable

from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.de import idnr
from stdnum.de import vat as de_vat
from stdnum.es import ccc, cif, dni
from stdnum.fr import nir
from stdnum.gb import utr
from stdnum.ie import vat as ie_vat
from stdnum.iso7064 import mod_11_10
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.us import ein, ssn

from profiledesk.customers.normalise import fold

from .countries import Bank, Country


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(string.digits, k=n))


def _complete(stem: str, is_valid: Callable[[str], bool], alphabet: str = string.digits) -> str:
    """`stem` plus the check character that makes it valid; "" if none does."""
    for check in alphabet:
        if is_valid(stem + check):
            return stem + check
    return ""


def _until_valid(make: Callable[[], str]) -> str:
    """Draw again while the stem has no valid check character (BSN's remainder 10...)."""
    while not (number := make()):
        pass
    return number


# --- people -------------------------------------------------------------------------

_NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"  # HMRC never issues D, F, I, Q, U or V
_NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"  # ... nor O second
_NINO_BANNED = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def _gb_nino(rng: random.Random) -> str:
    while (prefix := rng.choice(_NINO_FIRST) + rng.choice(_NINO_SECOND)) in _NINO_BANNED:
        pass
    return f"{prefix}{_digits(rng, 6)}{rng.choice('ABCD')}"


def _de_idnr(rng: random.Random) -> str:
    # The first ten digits: nine different ones, one of them twice, no leading zero.
    digits = rng.sample(string.digits, 9)
    digits.append(rng.choice(digits))
    rng.shuffle(digits)
    if digits[0] == "0":
        return ""
    number = "".join(digits)
    number += mod_11_10.calc_check_digit(number)
    return number if idnr.is_valid(number) else ""


def _fr_nir(rng: random.Random, dob: dt.date, female: bool) -> str:
    department = rng.choice(["75", "69", "13", "31", "33", "59", "44", "67", "06", "35"])
    number = (
        f"{2 if female else 1}{dob:%y}{dob:%m}{department}"
        f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    )
    return number + nir.calc_check_digits(number)


_IT_MONTHS = "ABCDEHLMPRST"
# Codici catastali of the cities customers are born in.
_IT_TOWNS = ["H501", "F205", "F839", "L219", "D612", "A944"]


def _it_name_code(name: str, *, given: bool) -> str:
    letters = [ch for ch in fold(name).upper() if ch.isalpha()]
    consonants = [ch for ch in letters if ch not in "AEIOU"]
    vowels = [ch for ch in letters if ch in "AEIOU"]
    if given and len(consonants) >= 4:
        consonants = [consonants[0], consonants[2], consonants[3]]
    return "".join(consonants + vowels + ["X", "X", "X"])[:3]


def _it_codice_fiscale(
    rng: random.Random, dob: dt.date, female: bool, first: str, last: str
) -> str:
    day = dob.day + (40 if female else 0)
    number = (
        f"{_it_name_code(last, given=False)}{_it_name_code(first, given=True)}"
        f"{dob:%y}{_IT_MONTHS[dob.month - 1]}{day:02d}{rng.choice(_IT_TOWNS)}"
    )
    return number + codicefiscale.calc_check_digit(number)


def _us_ssn(rng: random.Random) -> str:
    number = f"{rng.randint(1, 899):03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
    return number if ssn.is_valid(number) else ""


def national_id(
    rng: random.Random, country: str, *, dob: dt.date, female: bool, first: str, last: str
) -> str:
    """The national identity number a customer of `country` would give, compact."""
    if country == "GB":
        return _gb_nino(rng)
    if country == "IE":
        stem = _digits(rng, 7)
        return stem + ie_vat.calc_check_digit(stem)
    if country == "ES":
        stem = _digits(rng, 8)
        return stem + dni.calc_check_digit(stem)
    if country == "DE":
        return _until_valid(lambda: _de_idnr(rng))
    if country == "FR":
        return _fr_nir(rng, dob, female)
    if country == "NL":
        return _until_valid(
            lambda: _complete(str(rng.randint(1, 9)) + _digits(rng, 7), bsn.is_valid)
        )
    if country == "IT":
        return _it_codice_fiscale(rng, dob, female, first, last)
    if country == "US":
        return _until_valid(lambda: _us_ssn(rng))
    return ""


# --- businesses ---------------------------------------------------------------------


def _gb_vat(rng: random.Random) -> str:
    stem = _digits(rng, 7)
    # Weights 8..2 over the stem; the last two digits bring the sum to a multiple of 97.
    total = sum(w * int(d) for w, d in zip(range(8, 1, -1), stem, strict=True))
    return f"GB{stem}{-total % 97:02d}"


def _fr_siren(rng: random.Random) -> str:
    return _complete(str(rng.randint(1, 9)) + _digits(rng, 7), luhn.is_valid)


def business_ids(rng: random.Random, country: str, city: str) -> dict[str, str]:
    """tax_id, vat_number and registration_number of a company in `country`."""
    if country == "GB":
        stem = _digits(rng, 9)
        return {
            "tax_id": utr.calc_check_digit(stem) + stem,  # a UTR's check digit comes first
            "vat_number": _gb_vat(rng),
            "registration_number": f"{rng.randint(1, 15_999_999):08d}",
        }
    if country == "IE":
        stem = _digits(rng, 7)
        return {
            "tax_id": "",
            "vat_number": f"IE{stem}{ie_vat.calc_check_digit(stem)}",
            "registration_number": str(rng.randint(100_000, 799_999)),
        }
    if country == "ES":
        stem = rng.choice("ABB") + _digits(rng, 7)
        number = stem + cif.calc_check_digits(stem)[0]  # companies end with the digit
        return {
            "tax_id": number,
            "vat_number": f"ES{number}",
            "registration_number": f"M-{rng.randint(100_000, 799_999)}",
        }
    if country == "DE":
        vat = _complete(str(rng.randint(1, 9)) + _digits(rng, 7), de_vat.is_valid)
        return {
            "tax_id": "",
            "vat_number": f"DE{vat}",
            "registration_number": f"HRB {rng.randint(10_000, 250_000)}",
        }
    if country == "FR":
        siren = _until_valid(lambda: _fr_siren(rng))
        key = (12 + 3 * (int(siren) % 97)) % 97
        return {
            "tax_id": siren,
            "vat_number": f"FR{key:02d}{siren}",
            "registration_number": f"RCS {city} {siren[:3]} {siren[3:6]} {siren[6:]}",
        }
    if country == "NL":
        stem = _until_valid(
            lambda: _complete(str(rng.randint(1, 9)) + _digits(rng, 7), bsn.is_valid)
        )
        return {
            "tax_id": "",
            "vat_number": f"NL{stem}B01",
            "registration_number": _digits(rng, 8),
        }
    if country == "IT":
        # Company number, then the code of the tax office (001-100), then Luhn.
        iva = _complete(f"{_digits(rng, 7)}{rng.randint(1, 100):03d}", luhn.is_valid)
        return {"tax_id": iva, "vat_number": f"IT{iva}", "registration_number": ""}
    if country == "US":
        prefix = rng.choice(["12", "20", "26", "27", "45", "46", "47", "81", "82", "83", "84"])
        number = prefix + _digits(rng, 7)
        return {
            "tax_id": ein.format(number),
            "vat_number": "",
            "registration_number": "",
        }
    return {"tax_id": "", "vat_number": "", "registration_number": ""}


# --- bank accounts and cards --------------------------------------------------------


# Digits after the bank's code where the BBAN has no national check digits. GB: sort
# code and account number; IE: account number (the code holds the sort code).
_ACCOUNT_DIGITS = {"GB": 14, "IE": 8, "DE": 10, "NL": 10}


def _bban(rng: random.Random, country: str, bank: Bank) -> str:
    if country in _ACCOUNT_DIGITS:
        return bank.code + _digits(rng, _ACCOUNT_DIGITS[country])
    if country == "ES":
        branch, account = _digits(rng, 4), _digits(rng, 10)
        checks = ccc.calc_check_digits(f"{bank.code}{branch}00{account}")
        return f"{bank.code}{branch}{checks}{account}"
    if country == "FR":
        branch, account = _digits(rng, 5), _digits(rng, 11)
        key = 97 - (89 * int(bank.code) + 15 * int(branch) + 3 * int(account)) % 97
        return f"{bank.code}{branch}{account}{key:02d}"
    if country == "IT":
        rest = f"{bank.code}{_digits(rng, 5)}{_digits(rng, 12)}"
        # The Italian CIN uses the same odd/even tables as the codice fiscale.
        return codicefiscale.calc_check_digit(rest) + rest
    raise ValueError(f"No IBAN for {country}")


def iban(rng: random.Random, country: Country) -> tuple[str, Bank] | None:
    """A valid IBAN at one of the country's banks, or None where IBANs are not used."""
    if not country.banks:
        return None
    bank = rng.choice(country.banks)
    bban = _bban(rng, country.code, bank)
    checks = stdnum_iban.calc_check_digits(f"{country.code}00{bban}")
    return f"{country.code}{checks}{bban}", bank


# Issuers' published test ranges (Stripe and friends); never a real customer's card.
CARD_BINS = {
    "visa": ("424242", "400000", "411111", "401288"),
    "mastercard": ("555555", "520082", "510510", "222300"),
    "amex": ("378282", "371449"),
}


def card_number(rng: random.Random, brand: str) -> str:
    """A Luhn-valid number of `brand`. The caller hands it to the vault and drops it."""
    length = 15 if brand == "amex" else 16
    stem = rng.choice(CARD_BINS[brand]) + _digits(rng, length - 7)
    return stem + luhn.calc_check_digit(stem)
