"""The portal's languages: the customer side is English and Spanish while the desk stays
English (settings.LANGUAGES). Chosen by the switch (a cookie scoped to /portal/), then by
the signed-in customer's profile language, then by the browser; English otherwise."""

from django.http import HttpRequest

PORTAL_LANGUAGES = [("en", "English"), ("es", "Español")]
CODES = {code for code, _name in PORTAL_LANGUAGES}
LANGUAGE_COOKIE = "pd_portal_lang"


def _base(tag: str) -> str:
    return (tag or "").strip().lower().replace("_", "-").split("-")[0]


def browser_language(request: HttpRequest) -> str | None:
    wishes = []
    for position, part in enumerate(request.headers.get("Accept-Language", "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        try:
            q = float(params.strip().removeprefix("q=")) if params else 1.0
        except ValueError:
            continue
        if q > 0 and _base(tag) in CODES:
            wishes.append((-q, position, _base(tag)))
    return min(wishes)[2] if wishes else None


def portal_language(request: HttpRequest, profile_language: str | None = None) -> str:
    chosen = _base(request.COOKIES.get(LANGUAGE_COOKIE, ""))
    if chosen in CODES:
        return chosen
    if profile_language and _base(profile_language) in CODES:
        return _base(profile_language)
    return browser_language(request) or "en"
