"""Which language a request is answered in (docs/architecture.md, "Languages").

Staff pages: always English. Customer pages (`CUSTOMER_URL_PREFIXES`): the customer's
choice, in this order — `?lang=` on the URL (a link in a message, the page's language
switch; remembered in a cookie), the cookie, the browser's Accept-Language — else
English. Only `CUSTOMER_LANGUAGES` are ever chosen: languages the customer side ships a
complete translation of (tests/i18n/test_catalogues.py fails on a missing string).
"""

import re

from django.conf import settings
from django.http import HttpRequest

FALLBACK = "en"
# The customer side's languages, and their names in themselves (the language switch).
CUSTOMER_LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}
# Paths of the pages a customer (not staff) opens: the "this wasn't me" pages and the
# portal. Everything else is the staff desk, which is English only.
CUSTOMER_URL_PREFIXES = ("/confirm/", "/portal/")
QUERY_PARAMETER = "lang"
# A language tag as BCP 47 spells it ("es", "es-MX", "es-419"); anything else is ignored.
_TAG = re.compile(r"[a-z]{1,8}(?:-[a-z0-9]{1,8})*")


def is_customer_path(path: str) -> bool:
    return path.startswith(CUSTOMER_URL_PREFIXES)


def customer_language(value: str | None) -> str | None:
    """`value` ("es", "es-MX", "ES_es") as one of the customer languages, or None."""
    if not value:
        return None
    tag = value.strip().lower().replace("_", "-")
    if not _TAG.fullmatch(tag):
        return None
    for candidate in (tag, tag.split("-")[0]):
        if candidate in CUSTOMER_LANGUAGES:
            return candidate
    return None


def customer_language_or_default(value: str | None) -> str:
    """A customer's stored language (a profile's `LanguageRegion.language`) as the
    language their messages and pages are in: English if it is not one shipped."""
    return customer_language(value) or FALLBACK


def accept_language(header: str) -> str | None:
    """The first customer language the browser accepts (q > 0, highest q first)."""
    wishes = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            wishes.append((-q, position, tag.strip()))
    for _q, _position, tag in sorted(wishes):
        language = customer_language(tag)
        if language is not None:
            return language
    return None


def chosen_language(request: HttpRequest) -> tuple[str, bool]:
    """(the language of a customer page, whether the customer chose it explicitly — on
    the URL or by the cookie — rather than their browser or the default)."""
    explicit = customer_language(request.GET.get(QUERY_PARAMETER)) or customer_language(
        request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    )
    if explicit:
        return explicit, True
    return accept_language(request.headers.get("Accept-Language", "")) or FALLBACK, False
