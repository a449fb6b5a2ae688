"""Contact points that look right for their country: E.164 phones, e-mail addresses,
street lines and postal codes in the local style."""

import random
import string

from profiledesk.customers.normalise import fold

from .countries import City, Country

# Letters Royal Mail uses in the inward part of a postcode.
_GB_INWARD = "ABDEFGHJLNPQRSTUWXYZ"
# Eircode unique identifiers avoid letters that read like digits.
_EIRCODE = "0123456789ACDEFHKNPRTVWXY"
_NL_LETTERS = "ABCDEFGHJKLMNPRTVWXZ"  # no SA, SD or SS pairs can come from these


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(string.digits, k=n))


def phone_number(rng: random.Random, country: Country, city: City, *, mobile: bool) -> str:
    """An E.164 number: a mobile range of the country, or the city's area code."""
    if mobile and country.mobile_prefixes:
        prefix, length = rng.choice(country.mobile_prefixes), country.mobile_length
    else:
        prefix, length = city.landline, country.landline_length
    return prefix + _digits(rng, length - len(prefix))


def postcode(rng: random.Random, country: Country, city: City) -> str:
    spec = rng.choice(city.postcodes)
    if country.code == "GB":
        return f"{spec} {rng.randint(1, 9)}{''.join(rng.choices(_GB_INWARD, k=2))}"
    if country.code == "IE":
        return f"{spec} {''.join(rng.choices(_EIRCODE, k=4))}"
    low, high = spec.split("-")
    number = str(rng.randint(int(low), int(high))).zfill(len(low))
    if country.code == "NL":
        return f"{number} {''.join(rng.choices(_NL_LETTERS, k=2))}"
    return number


def street_line(rng: random.Random, country: Country, street: str) -> str:
    number = rng.randint(1, 180)
    if country.street_number_first:
        return f"{number} {street}"
    if country.code in ("ES", "IT"):
        return f"{street}, {number}"
    return f"{street} {number}"


def second_line(rng: random.Random, country: Country) -> str:
    template = rng.choice(country.line2)
    return template.format(n=rng.randint(1, 9), l=rng.choice("ABCDEF"))


def _ascii(text: str) -> str:
    """Letters and digits only: "José María" -> "josemaria"."""
    return "".join(ch for ch in fold(text) if ch.isalnum())


def email_address(rng: random.Random, country: Country, first: str, last: str, tag: int) -> str:
    """A lower-case address; `tag` (the customer's index) keeps it unique in the client."""
    first, last = _ascii(first), _ascii(last)
    local = rng.choice(
        [f"{first}.{last}{tag}", f"{first[:1]}{last}{tag}", f"{last}.{first}{tag}", f"{first}{tag}"]
    )
    return f"{local}@{rng.choice(country.email_domains)}"


def work_email(first: str, last: str, business_name: str, tag: int) -> str:
    company = _ascii(business_name)[:20] or "company"
    return f"{_ascii(first)}.{_ascii(last)}{tag}@{company}.example"
